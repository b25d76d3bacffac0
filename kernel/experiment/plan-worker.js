// Entry of the worker threads of a PoolRunner (pool-runner.ts). Module hooks are per
// thread, so tsx's loader is registered here again before the TypeScript task module
// is imported; piscina calls the default export once per task.
import { register } from 'tsx/esm/api';

register();
const { poolTask } = await import('./plan-task.ts');
export default poolTask;
