// Source-tree entry of the kernel's simulation thread (a WorkerRunner's, see
// kernel/experiment/thread-worker.ts): module hooks are per thread, so tsx is
// registered here before the TypeScript worker is imported. The bundled kernel
// (dist/) has its own dist/run-worker.mjs at the same place relative to its main.
import { register } from 'tsx/esm/api';

register();
await import('../experiment/thread-worker.ts');
