// Source-tree entry of the kernel's simulation thread: module hooks are per thread,
// so tsx is registered here before the TypeScript worker is imported. The bundled
// kernel (dist/) has its own dist/run-worker.mjs at the same relative place.
import { register } from 'tsx/esm/api';

register();
await import('./run-worker.ts');
