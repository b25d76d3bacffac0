/**
 * The race explorer: time to find seed 002's OOPS counterexample, and states per
 * second on the merged protocol (3 vCPUs, shadow write-protect, GET + CLEAR + GET).
 */
import { builtinProtocol, explore } from '../engine/races/index.ts';
import type { ExploreResult, MemoryModel, Reduction } from '../engine/races/index.ts';
import { fmt, peakRssMiB, row } from './util.ts';

/** Best wall time of `repeat` explorations (the first warms the JIT up). */
function best(name: string, memory: MemoryModel, reduction: Reduction, repeat = 3): ExploreResult {
  let result: ExploreResult | null = null;
  for (let k = 0; k < repeat; k++) {
    const r = explore(builtinProtocol(name), { memory, reduction });
    if (!result || r.timeMs < result.timeMs) result = r;
  }
  return result as ExploreResult;
}

for (const memory of ['sc', 'tso'] as const) {
  const r = best('identification-shared', memory, 'none', 5);
  row(
    `OOPS counterexample (identification-shared, ${memory})`,
    `${r.timeMs.toFixed(1)} ms, ${r.states} states, trace ${r.violations[0].trace.steps.length} steps`,
  );
}
for (const memory of ['sc', 'tso'] as const) {
  for (const reduction of ['none', 'por'] as const) {
    const r = best('mmu-writable', memory, reduction);
    row(
      `mmu-writable, ${memory}, reduction ${reduction}`,
      `${r.states} states, ${r.transitions} transitions, ${r.timeMs.toFixed(0)} ms, ` +
        `${fmt((r.states / r.timeMs) * 1000)} states/s, ${r.violations.length} violations`,
    );
  }
}
row('peak RSS', `${peakRssMiB().toFixed(0)} MiB`);
