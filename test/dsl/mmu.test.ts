import { describe, expect, it } from 'vitest';
import { compile } from '../../dsl/compile.ts';
import { BASE } from './cases.ts';

/** BASE plus `more`, run on vm db with tracking `t`. */
const program = (more: string): string => `${BASE}\n${more}\nrun db with t, fast`;

describe('tracking mmu and mmu_lock', () => {
  it('lowers mmu shadow and mmu_lock spinlock into the tracking policy', () => {
    const { program: p, diagnostics } = compile(
      program('tracking t { dirty_log bitmap, mmu shadow, mmu_lock spinlock, pml off }'),
    );
    expect(diagnostics).toEqual([]);
    expect(p.tracking.find((t) => t.name === 't')).toMatchObject({
      mmu: 'shadow',
      mmuLock: 'spinlock',
    });
  });

  it('rejects an mmu that is neither tdp nor shadow, naming both', () => {
    const { diagnostics } = compile(program('tracking t { dirty_log bitmap, mmu ept }'));
    expect(diagnostics[0]).toMatchObject({ severity: 'error' });
    expect(diagnostics[0].message).toMatch(/'tdp' or 'shadow'/);
  });

  it('warns that pml on does nothing under mmu shadow', () => {
    const { diagnostics } = compile(program('tracking t { dirty_log bitmap, mmu shadow, pml on }'));
    expect(diagnostics).toMatchObject([{ severity: 'warning', code: 'unsupported-combination' }]);
    expect(diagnostics[0].message).toMatch(/PML needs EPT/);
  });

  it('does not warn with pml on under mmu tdp (the twin)', () => {
    expect(
      compile(program('tracking t { dirty_log bitmap, mmu tdp, pml on }')).diagnostics,
    ).toEqual([]);
  });
});
