import { describe, expect, it } from 'vitest';
import { explore } from '../../../engine/races/explore.ts';
import {
  BUILTIN_PROTOCOLS,
  dirtyLogProtocol,
  identificationProtocol,
} from '../../../engine/races/protocols/index.ts';
import type { Protocol } from '../../../engine/races/types.ts';
import {
  counter,
  independentStores,
  lockInversion,
  messagePassing,
  storeBuffering,
  storeForwarding,
} from '../../helpers/litmus.ts';

const PROTOCOLS: Protocol[] = [
  storeBuffering(),
  storeBuffering(true),
  messagePassing(),
  counter('plain'),
  counter('locked'),
  counter('cmpxchg'),
  independentStores(3),
  lockInversion(),
  storeForwarding(),
  identificationProtocol({ uniqueIds: true, faultBarrier: false }),
  identificationProtocol({ uniqueIds: true, wpBarrier: false }),
  dirtyLogProtocol({ tlbFlush: false }),
  dirtyLogProtocol({ dirtyLog: 'legacy' }),
  ...BUILTIN_PROTOCOLS.map((b) => b.build()),
];

describe('partial-order reduction', () => {
  for (const p of PROTOCOLS) {
    for (const memory of ['sc', 'tso'] as const) {
      it(`${p.name} under ${memory}: the same verdicts and terminal states, no more states`, () => {
        const full = explore(p, { memory, reduction: 'none' });
        const por = explore(p, { memory, reduction: 'por' });
        // Ample sets keep every terminal state (so every final verdict and deadlock) and
        // every violation of an `always` invariant or assert.
        expect(por.violations.map((v) => v.property).sort()).toEqual(
          full.violations.map((v) => v.property).sort(),
        );
        expect(por.terminalStates).toBe(full.terminalStates);
        expect(por.states).toBeLessThanOrEqual(full.states);
        // A reduced trace is a real execution: at least as long as the shortest.
        for (const v of por.violations) {
          const shortest = full.violations.find((f) => f.property === v.property);
          expect(v.trace.steps.length).toBeGreaterThanOrEqual(shortest?.trace.steps.length ?? 0);
        }
      });
    }
  }

  it('cuts the interleavings of independent threads to one', () => {
    const r = explore(independentStores(3), { memory: 'tso', reduction: 'por' });
    expect(r.interleavings).toBe(1);
    expect(explore(independentStores(3), { memory: 'tso' }).interleavings).toBe(90); // 6!/2!^3
  });
});
