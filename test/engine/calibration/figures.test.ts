import { describe, expect, it } from 'vitest';
import {
  NOT_MODELLED,
  PUBLISHED_FIGURES,
  SCENARIOS,
  calibrate,
  figure,
} from '../../../engine/calibration/index.ts';
import { COST_INFO, DEFAULT_COSTS } from '../../../engine/kvm/costs.ts';
import type { Costs } from '../../../engine/kvm/costs.ts';

describe('published figures', () => {
  it('have unique ids, a positive value, what was measured, its setup and its source', () => {
    const ids = PUBLISHED_FIGURES.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const f of PUBLISHED_FIGURES) {
      expect(f.value, f.id).toBeGreaterThan(0);
      expect(f.what.length, f.id).toBeGreaterThan(10);
      expect(f.setup.length, f.id).toBeGreaterThan(10);
      expect(f.source.length, f.id).toBeGreaterThan(10);
    }
  });

  it('each have a scenario or a reason why none reproduces them, not both', () => {
    const produced = new Set(SCENARIOS.flatMap((s) => s.figures));
    for (const f of PUBLISHED_FIGURES) {
      expect(produced.has(f.id) !== f.id in NOT_MODELLED, f.id).toBe(true);
    }
    for (const id of [...produced, ...Object.keys(NOT_MODELLED)])
      expect(() => figure(id)).not.toThrow();
  });

  it('rejects an unknown id, naming the known ones', () => {
    expect(() => figure('nobody-1999')).toThrow(
      /unknown published figure: nobody-1999; known: matlack/,
    );
  });
});

describe('the cost table', () => {
  it('says for every entry whether its default is measured, derived or an estimate', () => {
    for (const name of Object.keys(DEFAULT_COSTS) as (keyof Costs)[]) {
      expect(['measured', 'derived', 'estimate']).toContain(COST_INFO[name].basis.kind);
    }
  });

  it('names, for every derived or measured default, published figures that exist', () => {
    for (const name of Object.keys(DEFAULT_COSTS) as (keyof Costs)[]) {
      const basis = COST_INFO[name].basis;
      if (basis.kind === 'estimate') continue;
      expect(basis.figures.length, name).toBeGreaterThan(0);
      for (const id of basis.figures) expect(() => figure(id), `${name}: ${id}`).not.toThrow();
    }
  });
});

describe('calibrate', () => {
  it('pairs a figure with the model value and the relative error, under the given costs', () => {
    const [row] = calibrate({ only: ['svm-exit-round-trip'], costs: { vmExit: 500 } });
    expect(row.figure.id).toBe('svm-exit-round-trip');
    expect(row.model).toBe(1500);
    expect(row.relativeError).toBeCloseTo((1500 - row.figure.value) / row.figure.value, 12);
  });

  it('lists a figure no scenario reproduces with the reason and no value', () => {
    const [row] = calibrate({ only: ['xiao-2012-x11perf-ept'] });
    expect(row.model).toBeNull();
    expect(row.relativeError).toBeNull();
    expect(row.scenario).toBe(NOT_MODELLED['xiao-2012-x11perf-ept']);
  });
});

describe('the 2012 autotest scenario', () => {
  it('gives the fast path a gain under EPT and none under shadow paging, whose MMU never takes it', () => {
    const rows = calibrate({
      only: ['xiao-2012-ept-migrate-dbench', 'xiao-2012-shadow-migrate-dbench'],
    });
    const value = (id: string): number | null =>
      rows.find((r) => r.figure.id === id)?.model ?? null;
    expect(value('xiao-2012-ept-migrate-dbench')).toBeLessThan(1);
    expect(value('xiao-2012-shadow-migrate-dbench')).toBe(1);
  });
});
