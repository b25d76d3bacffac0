import { describe, expect, it } from 'vitest';
import { progressBundle } from '../../../kernel/display/progress.ts';

describe('progressBundle', () => {
  it('shows a bar, the share done and the plan running', () => {
    const b = progressBundle({ label: 'web/ring/qemu/seed=1', done: 1, total: 4, fraction: 0.5 });
    expect(b.data['text/plain']).toBe(
      `${'█'.repeat(10)}${'░'.repeat(10)} 50%  1/4 plans  web/ring/qemu/seed=1`,
    );
    expect(b.data['text/html']).toContain('width:50.0%');
    expect(b.metadata).toEqual({
      mmulab: { progress: { status: 'running', done: 1, total: 4, fraction: 0.5 } },
    });
  });

  it('has a finished form with a full bar', () => {
    const b = progressBundle({ label: 'x', done: 4, total: 4, fraction: 0.99, status: 'finished' });
    expect(b.data['text/plain']).toBe('finished: 4/4 plans');
    expect(b.data['text/html']).toContain('width:100.0%');
  });

  it('has an interrupted form that names the plan that was running', () => {
    const b = progressBundle({
      label: 'a/b',
      done: 2,
      total: 4,
      fraction: 0.6,
      status: 'interrupted',
    });
    expect(b.data['text/plain']).toBe('interrupted: 2/4 plans finished, stopped during a/b');
    expect(b.data['text/html']).toContain('#d62728');
  });

  it('says nothing of a plan when no plan was running yet', () => {
    const b = progressBundle({ label: '', done: 0, total: 4, fraction: 0, status: 'interrupted' });
    expect(b.data['text/plain']).toBe('interrupted: 0/4 plans finished');
  });

  it('clamps the fraction and escapes the label', () => {
    const b = progressBundle({ label: '<b>', done: 0, total: 1, fraction: 7 });
    expect(b.data['text/html']).toContain('width:100.0%');
    expect(b.data['text/html']).toContain('&lt;b&gt;');
    expect(b.data['text/html']).not.toContain('<b>');
    expect(
      progressBundle({ label: 'x', done: 0, total: 1, fraction: NaN }).data['text/plain'],
    ).toMatch(/ 0% /);
  });
});
