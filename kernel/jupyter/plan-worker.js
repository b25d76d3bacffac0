// Source-tree entry of the kernel's pool threads (a PoolRunner's, see
// kernel/experiment/pool-runner.ts): the same as the command line's, found beside the
// kernel's main as the bundled kernel finds dist/plan-worker.js beside dist/kernel.mjs.
export { default } from '../experiment/plan-worker.js';
