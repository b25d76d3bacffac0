// The bundled CLI's pool worker (dist/plan-worker.js, next to dist/cli.mjs, where
// pool-runner.ts looks for it): piscina calls the default export once per task. From
// the sources, pool-runner.ts finds plan-worker.js instead, which registers tsx first.
export { poolTask as default } from './plan-task.ts';
