// Source-tree entry of the kernel's compile thread (a ThreadCompiler's, see
// compile-thread.ts): module hooks are per thread, so tsx is registered here before
// the TypeScript is imported. The bundled kernel has dist/compile-worker.mjs at the
// same place relative to its main.
import { register } from 'tsx/esm/api';

register();
await import('./compile-thread.ts');
