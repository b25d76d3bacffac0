import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { languageOverview } from '../../../dsl/overview.ts';
import { execute, fakeKernel, iopubTypes } from '../../helpers/kernel-handler.ts';
import type { Reply } from '../../helpers/kernel-handler.ts';

/** A small VM whose migration takes well under a second of wall time. */
const SMALL = `vm a {
  vcpus 2
  slot s at 0 size 64MiB
  workload hotset { rate 10k/s per vcpu, set 16MiB, hot 90% }
}
tracking r { dirty_log ring 1024 }
migration q { bandwidth 10Gbit/s, downtime 300ms }`;

/** A migration that cannot converge in a long time: the link is slower than the guest dirties. */
const ENDLESS = `vm big {
  vcpus 4
  slot s at 0 size 4GiB
  workload hotset { rate 200k/s per vcpu, set 2GiB, hot 90% }
}
migration slow { bandwidth 100Mbit/s, downtime 1ms, max_iterations 100000 }
run big with r, slow seed 1 max_time 100000s`;

const kernel = fakeKernel();
afterAll(() => kernel.close());

function outputs(r: Reply): string[] {
  return iopubTypes(r).filter((t) => !t.startsWith('status') && t !== 'execute_input');
}

describe('KernelHandler: every request', () => {
  it('brackets kernel_info with busy and idle, and replies with status and language_info', async () => {
    const r = await kernel.request('kernel_info_request');
    expect(iopubTypes(r)).toEqual(['status:busy', 'status:idle']);
    expect(r.reply.header.msg_type).toBe('kernel_info_reply');
    expect(r.reply.content).toMatchObject({
      status: 'ok',
      protocol_version: '5.3',
      implementation: 'mmulab',
      language_info: { name: 'mmulab', file_extension: '.mmu' },
    });
    expect(r.reply.parent_header).toEqual(r.header);
  });

  it('answers kernel_info on the control channel too', async () => {
    const r = await kernel.request('kernel_info_request', {}, 'control');
    const reply = kernel.childrenOf(r.header).find((s) => s.channel === 'control');
    expect(reply?.message.header.msg_type).toBe('kernel_info_reply');
  });

  it('answers comm_info with comm_info_reply and no comms', async () => {
    const r = await kernel.request('comm_info_request', {});
    expect(r.reply.header.msg_type).toBe('comm_info_reply');
    expect(r.reply.content).toEqual({ status: 'ok', comms: {} });
  });

  it('closes a comm opened for a target it does not have', async () => {
    kernel.post('comm_open', { comm_id: 'c1', target_name: 'jupyter.widget', data: {} });
    await kernel.handler.idle();
    const close = kernel.sent.find((s) => s.message.header.msg_type === 'comm_close');
    expect(close?.message.content).toMatchObject({ comm_id: 'c1' });
  });

  it('gives an unknown request a valid empty reply instead of silence', async () => {
    const r = await kernel.request('frobnicate_request', {});
    expect(r.reply.header.msg_type).toBe('frobnicate_reply');
    expect(r.reply.content).toEqual({ status: 'ok' });
  });
});

describe('KernelHandler: execute', () => {
  it('keeps definitions across cells and counts executions', async () => {
    const first = await kernel.request('execute_request', execute(SMALL));
    expect(first.reply.content).toMatchObject({ status: 'ok' });
    expect(outputs(first)).toEqual([]);
    const second = await kernel.request('execute_request', execute('%who'));
    expect(
      (second.reply.content.execution_count as number) -
        (first.reply.content.execution_count as number),
    ).toBe(1);
    const result = second.iopub.find((m) => m.header.msg_type === 'execute_result');
    expect(result?.content).toMatchObject({
      data: { 'text/plain': 'vm a\ntracking r\nmigration q' },
    });
  });

  it('echoes the code in execute_input with the execution count', async () => {
    const r = await kernel.request('execute_request', execute('%echo hello, world'));
    const input = r.iopub.find((m) => m.header.msg_type === 'execute_input');
    expect(input?.content).toEqual({
      code: '%echo hello, world',
      execution_count: r.reply.content.execution_count,
    });
    expect(r.iopub.find((m) => m.header.msg_type === 'stream')?.content).toEqual({
      name: 'stdout',
      text: 'hello, world\n',
    });
  });

  it('sends nothing but busy and idle for a silent execute, and does not count it', async () => {
    const before = await kernel.request('execute_request', execute(''));
    const silent = await kernel.request(
      'execute_request',
      execute('%echo quiet', { silent: true }),
    );
    expect(iopubTypes(silent)).toEqual(['status:busy', 'status:idle']);
    expect(silent.reply.content.execution_count).toBe(before.reply.content.execution_count);
  });

  it('reports a compile error as exactly one error message, with line:col and the caret in the traceback', async () => {
    const r = await kernel.request('execute_request', execute('run zz with r, q'));
    expect(outputs(r)).toEqual(['error']);
    expect(r.reply.content).toMatchObject({ status: 'error', ename: 'MmulabError' });
    expect(r.reply.content.evalue).toMatch(/^line 1:5: Unknown vm 'zz'/);
    const traceback = (r.reply.content.traceback as string[]).join('\n');
    expect(traceback).toContain('run zz with r, q');
    expect(traceback).toMatch(/\n {4}\^\^/);
  });

  it('writes warnings to stderr and still runs the cell', async () => {
    const r = await kernel.request(
      'execute_request',
      execute('migration tight { bandwidth 10Gbit/s, downtime 1ns }'),
    );
    expect(r.reply.content.status).toBe('ok');
    const stream = r.iopub.find((m) => m.header.msg_type === 'stream');
    expect(stream?.content).toMatchObject({ name: 'stderr' });
    expect(String(stream?.content.text)).toMatch(/shorter than sending one 4KiB page/);
  });

  it('leaves the session unchanged when a cell has an error', async () => {
    await kernel.request(
      'execute_request',
      execute('vm broken { vcpus 2 }\nrun nowhere with r, q'),
    );
    const who = await kernel.request('execute_request', execute('%who'));
    const text = String(
      who.iopub.find((m) => m.header.msg_type === 'execute_result')?.content.data &&
        (
          who.iopub.find((m) => m.header.msg_type === 'execute_result')!.content.data as Record<
            string,
            string
          >
        )['text/plain'],
    );
    expect(text).not.toContain('broken');
  });

  it('aborts the queued executions after an error (Run All stops at the failing cell)', async () => {
    const failing = kernel.post('execute_request', execute('run nope with r, q'));
    const queued1 = kernel.post('execute_request', execute('%echo one'));
    const queued2 = kernel.post('execute_request', execute('%echo two'));
    expect((await kernel.settled(failing)).reply.content.status).toBe('error');
    for (const h of [queued1, queued2]) {
      const r = await kernel.settled(h);
      expect(r.reply.content.status).toBe('aborted');
      expect(iopubTypes(r)).toEqual(['status:busy', 'status:idle']);
    }
    const after = await kernel.request('execute_request', execute('%echo after'));
    expect(after.reply.content.status).toBe('ok');
  });

  it('runs the queued executions after an error when stop_on_error is false', async () => {
    const failing = kernel.post(
      'execute_request',
      execute('run nope with r, q', { stop_on_error: false }),
    );
    const next = kernel.post('execute_request', execute('%echo still'));
    expect((await kernel.settled(failing)).reply.content.status).toBe('error');
    expect((await kernel.settled(next)).reply.content.status).toBe('ok');
  });

  it('shows a pager payload for %help', async () => {
    const r = await kernel.request('execute_request', execute('%help vcpus'));
    const payload = r.reply.content.payload as { source: string; data: Record<string, string> }[];
    expect(payload).toHaveLength(1);
    expect(payload[0]).toMatchObject({ source: 'page' });
    expect(payload[0]!.data['text/plain']).toMatch(/vcpus \(in vm\)/);
  });

  it('%help without a word shows the overview generated from the language schema', async () => {
    const r = await kernel.request('execute_request', execute('%help'));
    const payload = r.reply.content.payload as { source: string; data: Record<string, string> }[];
    const text = payload[0]!.data['text/plain'];
    expect(text).toContain(languageOverview());
    expect(text).toMatch(/%who/);
  });

  it('rejects an unknown kernel command and names the known ones', async () => {
    const r = await kernel.request('execute_request', execute('%echo hi\n  %frob'));
    expect(r.reply.content).toMatchObject({
      status: 'error',
      ename: 'UsageError',
      evalue: "line 2:3: '%frob' is not a kernel command.",
    });
    expect((r.reply.content.traceback as string[]).join('\n')).toMatch(/%help, %who, %reset/);
  });

  it('says where a bare % line is, quoting it', async () => {
    const r = await kernel.request('execute_request', execute('%# a small VM'));
    expect(r.reply.content).toMatchObject({
      status: 'error',
      ename: 'UsageError',
      evalue: "line 1:1: '%# a small VM' is not a kernel command.",
    });
  });

  it('answers exit and quit with the ask_exit payload, as ipykernel does', async () => {
    for (const code of ['exit', 'quit', ' quit() \n']) {
      const r = await kernel.request('execute_request', execute(code));
      expect(r.reply.content, code).toMatchObject({
        status: 'ok',
        payload: [{ source: 'ask_exit', keepkernel: false }],
      });
    }
    const complete = await kernel.request('is_complete_request', { code: 'exit()' });
    expect(complete.reply.content).toEqual({ status: 'complete' });
  });

  it('treats exit as language anywhere but alone in a cell', async () => {
    const r = await kernel.request('execute_request', execute('exit\n%echo more'));
    expect(r.reply.content).toMatchObject({ status: 'error', ename: 'MmulabError' });
    expect(r.reply.content.payload).toBeUndefined();
  });

  it('sends clear_output for %clear', async () => {
    const r = await kernel.request('execute_request', execute('%echo a\n%clear'));
    expect(outputs(r)).toEqual(['stream', 'clear_output']);
  });
});

describe('KernelHandler: a cell that runs', () => {
  it('shows progress in place, then the tables and charts, with provenance in their metadata', async () => {
    const r = await kernel.request(
      'execute_request',
      execute('run a with r, q seed 1\ntable summary\nplot remaining over time'),
    );
    expect(r.reply.content.status).toBe('ok');
    const progress = r.iopub.filter((m) =>
      (m.content.transient as { display_id?: string } | undefined)?.display_id?.startsWith(
        'mmulab-progress',
      ),
    );
    expect(progress[0]!.header.msg_type).toBe('display_data');
    // The live line is emptied and the last state follows as an output of its own, so a
    // console that ignores updates ends with it too (and a notebook shows it once).
    const emptied = progress[progress.length - 1]!;
    expect(emptied.header.msg_type).toBe('update_display_data');
    expect(emptied.content.data).toEqual({});
    const after = r.iopub.slice(r.iopub.indexOf(emptied) + 1);
    expect(after[0]).toMatchObject({
      header: { msg_type: 'display_data' },
      content: { data: { 'text/plain': 'finished: 1/1 plan' }, transient: {} },
    });
    const displays = r.iopub
      .filter((m) => m.header.msg_type === 'display_data')
      .map((m) => m.content.data as Record<string, unknown>);
    const table = displays.find((d) => String(d['text/html'] ?? '').includes('<table'));
    expect(table?.['text/plain']).toBeTypeOf('string');
    const chart = displays.find((d) => d['application/vnd.plotly.v1+json'] !== undefined);
    expect(chart?.['text/html']).toBeTypeOf('string');
    const withProvenance = r.iopub.filter(
      (m) =>
        m.header.msg_type === 'display_data' &&
        JSON.stringify(m.content.metadata).includes('plan_hash'),
    );
    expect(withProvenance.length).toBeGreaterThanOrEqual(2);
  });

  it('sends plotly.js once per session, not once per chart', async () => {
    await kernel.request(
      'execute_request',
      execute('run a with r, q seed 2\nplot remaining over time'),
    );
    const loaders = kernel.sent.filter(
      (s) =>
        s.message.header.msg_type === 'display_data' &&
        String((s.message.content.data as Record<string, unknown>)['text/plain']).startsWith(
          'plotly.js',
        ),
    );
    expect(loaders).toHaveLength(1);
  });

  it('shows the previous results for a table cell without a run', async () => {
    const r = await kernel.request('execute_request', execute('table iterations'));
    const html = r.iopub
      .filter((m) => m.header.msg_type === 'display_data')
      .map((m) => String((m.content.data as Record<string, unknown>)['text/html'] ?? ''));
    expect(html.some((h) => h.includes('remaining_pages'))).toBe(true);
    // The migrations were drawn when they ran; showing a table does not draw them again.
    const charts = r.iopub.filter(
      (m) =>
        m.header.msg_type === 'display_data' &&
        (m.content.data as Record<string, unknown>)['application/vnd.plotly.v1+json'] !== undefined,
    );
    expect(charts).toEqual([]);
  });

  it('shows only the columns a table asks for, and keeps the results when one is misspelt', async () => {
    const bad = await kernel.request('execute_request', execute('table summary with total_m'));
    expect(bad.reply.content).toMatchObject({ status: 'error', ename: 'MmulabError' });
    // Known before the run: the cell is refused at compile time, at its line:col.
    expect(bad.reply.content.evalue).toMatch(
      /line 1:20: Unknown column 'total_m' in the summary table\. Did you mean 'total_ms'/,
    );
    const good = await kernel.request(
      'execute_request',
      execute('table summary with total_ms, status'),
    );
    const html = good.iopub
      .filter((m) => m.header.msg_type === 'display_data')
      .map((m) => String((m.content.data as Record<string, unknown>)['text/html'] ?? ''));
    expect(html.some((h) => h.includes('total_ms') && !h.includes('downtime_ms'))).toBe(true);
  });

  it('stops a running simulation on interrupt_request and stays usable', async () => {
    const running = kernel.post('execute_request', execute(ENDLESS));
    // Wait until the run is under way (its first progress update).
    while (
      !kernel.childrenOf(running).some((s) => s.message.header.msg_type === 'update_display_data')
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const interrupt = await kernel.request('interrupt_request', {}, 'control');
    expect(
      kernel.childrenOf(interrupt.header).find((s) => s.channel === 'control')?.message.content,
    ).toEqual({ status: 'ok' });
    const r = await kernel.settled(running);
    expect(r.reply.content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    const last = r.iopub.filter((m) => m.header.msg_type === 'display_data').pop();
    expect((last?.content.data as Record<string, string>)['text/plain']).toBe(
      'interrupted: 0/1 plan finished, stopped during big/r/slow/seed=1',
    );
    const after = await kernel.request('execute_request', execute('%who'));
    expect(after.reply.content.status).toBe('ok');
  }, 60_000);
});

describe('KernelHandler: editor services', () => {
  it('completes with cursor positions in code points', async () => {
    const code = '# 🙂\nvm b { vcp';
    const r = await kernel.request('complete_request', {
      code,
      cursor_pos: Array.from(code).length,
    });
    expect(r.reply.content).toMatchObject({
      status: 'ok',
      matches: ['vcpus'],
      cursor_end: Array.from(code).length,
      cursor_start: Array.from(code).length - 3,
    });
  });

  it('completes kernel commands after %', async () => {
    const r = await kernel.request('complete_request', { code: '%he', cursor_pos: 3 });
    expect(r.reply.content).toMatchObject({ matches: ['%help'], cursor_start: 0, cursor_end: 3 });
  });

  it('documents the word under the cursor', async () => {
    const r = await kernel.request('inspect_request', {
      code: 'vm a { vcpus 2 }',
      cursor_pos: 9,
      detail_level: 0,
    });
    expect(r.reply.content).toMatchObject({ status: 'ok', found: true });
    expect((r.reply.content.data as Record<string, string>)['text/plain']).toMatch(/vcpus/);
  });

  it('documents a bare keyword out of context, and a kernel command', async () => {
    const bare = await kernel.request('inspect_request', { code: 'vcpus', cursor_pos: 5 });
    expect(bare.reply.content).toMatchObject({ status: 'ok', found: true });
    expect((bare.reply.content.data as Record<string, string>)['text/plain']).toMatch(
      /vcpus \(in vm\)/,
    );
    const magic = await kernel.request('inspect_request', { code: '%reset', cursor_pos: 2 });
    expect((magic.reply.content.data as Record<string, string>)['text/plain']).toMatch(
      /forget every definition/,
    );
    const none = await kernel.request('inspect_request', { code: 'zzz', cursor_pos: 3 });
    expect(none.reply.content).toMatchObject({ status: 'ok', found: false });
  });

  it('documents a column of the summary, by %help and under the cursor in an expression', async () => {
    const r = await kernel.request('execute_request', execute('%help transferred_bytes'));
    const payload = r.reply.content.payload as { source: string; data: Record<string, string> }[];
    expect(payload[0]!.data['text/plain']).toBe(
      'transferred_bytes (column of the summary): Bytes sent over the link: pages, zero pages and headers.',
    );
    const under = await kernel.request('inspect_request', {
      code: 'table summary by tracking mean downtime_ms',
      cursor_pos: 36,
    });
    expect(under.reply.content).toMatchObject({ status: 'ok', found: true });
    expect((under.reply.content.data as Record<string, string>)['text/plain']).toMatch(
      /^downtime_ms \(column of the summary\): Time the guest was stopped/,
    );
  });

  it('documents an aggregate by %help, a percentile by its pattern', async () => {
    const help = async (word: string): Promise<string> => {
      const r = await kernel.request('execute_request', execute(`%help ${word}`));
      const payload = r.reply.content.payload as { data: Record<string, string> }[];
      return payload[0]!.data['text/plain']!;
    };
    expect(await help('mean')).toMatch(/^mean \(aggregate\): The mean of a column over each group/);
    expect(await help('p95')).toMatch(/^p95 \(aggregate\): A percentile, p1 to p99/);
    expect(await help('ci95')).toMatch(/Student's t/);
    expect(await help('p100')).toMatch(/^No documentation for 'p100'/);
  });

  it('says an open brace is incomplete, with an indent, and a kernel command complete', async () => {
    const open = await kernel.request('is_complete_request', { code: 'vm a {' });
    expect(open.reply.content).toEqual({ status: 'incomplete', indent: '  ' });
    expect((await kernel.request('is_complete_request', { code: '%who' })).reply.content).toEqual({
      status: 'complete',
    });
    expect((await kernel.request('is_complete_request', { code: 'vm "a' })).reply.content).toEqual({
      status: 'invalid',
    });
  });

  it('returns history by tail, range and search', async () => {
    await kernel.request('execute_request', execute('%echo history-1'));
    await kernel.request('execute_request', execute('%echo history-2'));
    const tail = await kernel.request('history_request', {
      hist_access_type: 'tail',
      n: 2,
      output: false,
      raw: true,
    });
    expect((tail.reply.content.history as unknown[][]).map((e) => e[2])).toEqual([
      '%echo history-1',
      '%echo history-2',
    ]);
    const search = await kernel.request('history_request', {
      hist_access_type: 'search',
      pattern: '%echo history-*',
      output: false,
      raw: true,
      unique: true,
    });
    expect((search.reply.content.history as unknown[]).length).toBe(2);
    const line = (tail.reply.content.history as number[][])[0]![1]!;
    const range = await kernel.request('history_request', {
      hist_access_type: 'range',
      session: 0,
      start: line,
      stop: line + 1,
      output: false,
      raw: true,
    });
    expect(range.reply.content.history).toEqual([[1, line, '%echo history-1']]);
  });
});

describe('KernelHandler: export', () => {
  it('writes CSV and Arrow files relative to the notebook directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmulab-export-'));
    const local = fakeKernel(dir);
    const r = await local.request(
      'execute_request',
      execute(
        `${SMALL}\nrun a with r, q seed 1\nexport summary to "csv"\nexport summary, iterations to "arrow" as arrow`,
      ),
    );
    expect(r.reply.content.status).toBe('ok');
    expect(readdirSync(join(dir, 'csv')).some((f) => f.endsWith('.summary.csv'))).toBe(true);
    expect(readdirSync(join(dir, 'arrow')).sort()).toEqual(['iterations.arrow', 'summary.arrow']);
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  });
  it('records where the results come from: the cells that ran, the files they used, the checkout', async () => {
    /** The `# key: value` header of the one summary CSV in `dir`. */
    const header = (dir: string): Record<string, string> => {
      const file = readdirSync(dir).find((f) => f.endsWith('.summary.csv'))!;
      const lines = readFileSync(join(dir, file), 'utf8').split('\n');
      return Object.fromEntries(
        lines.filter((l) => l.startsWith('# ')).map((l) => l.slice(2).split(': ')),
      );
    };
    const session = async (tracking: string): Promise<Record<string, string>> => {
      const dir = mkdtempSync(join(tmpdir(), 'mmulab-provenance-'));
      writeFileSync(join(dir, 'common.mmu'), `${SMALL}\n${tracking}\n`);
      const local = fakeKernel(dir);
      for (const cell of ['use "common.mmu"', 'run a with r, q seed 1\nexport summary to "csv"']) {
        const r = await local.request('execute_request', execute(cell));
        expect(r.reply.content.status, cell).toBe('ok');
      }
      await local.close();
      const h = header(join(dir, 'csv'));
      rmSync(dir, { recursive: true, force: true });
      return h;
    };
    const h = await session('# first');
    expect(h).toMatchObject({
      source: 'notebook',
      source_files: 'cell 1, common.mmu, cell 2',
      source_hash: expect.stringMatching(/^[0-9a-f]{16}$/),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    });
    expect(h.mmulab_commit).toMatch(/^[0-9a-f]{40}$/);
    // The same plans from an edited used file: same plan, another source.
    const edited = await session('# edited');
    expect(edited.plan_hash).toBe(h.plan_hash);
    expect(edited.source_hash).not.toBe(h.source_hash);
  });
});

describe('KernelHandler: shutdown', () => {
  it('replies on control, then asks the process to exit', async () => {
    const local = fakeKernel();
    const r = await local.request('shutdown_request', { restart: false }, 'control');
    expect(
      local.childrenOf(r.header).find((s) => s.channel === 'control')?.message.content,
    ).toEqual({ status: 'ok', restart: false });
    expect(local.shutdowns).toEqual([false]);
    await local.close();
  });
});
