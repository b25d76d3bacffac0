// The bundled CLI's sweep worker (dist/plan-worker.js, next to dist/cli.mjs, where
// pool.ts looks for it): piscina calls the default export once per task. From the
// sources, pool.ts finds plan-worker.js instead, which registers tsx first.
export { runPlanTask as default } from './plan-task.ts';
