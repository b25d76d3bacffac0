import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { capturedIo } from '../../helpers/cli.ts';
import type { CapturedIo } from '../../helpers/cli.ts';
import { figureCommand } from '../../../kernel/cli/figure-command.ts';
import { runCommand } from '../../../kernel/cli/run-command.ts';
import { main } from '../../../kernel/cli/main.ts';
import { ExitCode } from '../../../kernel/cli/io.ts';
import type { FigureArgs } from '../../../kernel/cli/commands.ts';
import { PNG_KEYWORD, pngTextChunks } from '../../../kernel/output/image-provenance.ts';
import { BROWSER_MS, HAVE_CHROMIUM } from '../../helpers/chromium.ts';

const DIR = mkdtempSync(join(tmpdir(), 'mmulab-figure-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

/** Two bandwidths × two trackings, one seed each, on a VM small enough to run in a second. */
const SWEEP = `vm tiny {
  vcpus 2
  slot ram0 at 0 size 128MiB backing thp
  workload hotset { rate 20k/s per vcpu, set 16MiB, hot 90% }
}
tracking bitmap { dirty_log manual }
tracking ring { dirty_log ring 4096 }
migration link { bandwidth [2Gbit/s, 5Gbit/s], downtime 300ms }
sweep tiny with [bitmap, ring], link seed 1 warmup 100ms max_time 5s
plot downtime_ms over bandwidth by tracking
`;
writeFileSync(join(DIR, 'sweep.mmu'), SWEEP);
writeFileSync(join(DIR, 'no-plot.mmu'), SWEEP.replace(/^plot .*$/m, 'table summary'));
writeFileSync(
  join(DIR, 'paper.mmu'),
  `${SWEEP.replace(/^plot .*$/m, 'plot fig1 = downtime_ms over bandwidth by tracking title "Downtime" ytitle "downtime (ms)" size 500x300')}
export plot fig1 to "paper/fig1.svg"
export summary by tracking, bandwidth mean downtime_ms, n to "paper/downtime.tex" as latex
`,
);

function io(env: Record<string, string | undefined> = process.env): CapturedIo {
  return capturedIo(DIR, env);
}

function args(over: Partial<FigureArgs>): FigureArgs {
  return { file: 'sweep.mmu', format: 'svg', out: 'figs', jobs: 1, ...over };
}

describe('mmulab figure', () => {
  it.skipIf(!HAVE_CHROMIUM)(
    'writes an SVG holding each trace as a path and the axis titles with their units',
    async () => {
      const t = io();
      const code = await figureCommand(args({ out: 'svg' }), t.io);
      expect(t.err()).toContain('wrote 1 SVG figure(s)');
      expect(code).toBe(ExitCode.Ok);
      expect(readdirSync(join(DIR, 'svg'))).toEqual(['downtime-ms-over-bandwidth-by-tracking.svg']);
      expect(t.out().trim()).toBe(join('svg', 'downtime-ms-over-bandwidth-by-tracking.svg'));
      const svg = readFileSync(
        join(DIR, 'svg', 'downtime-ms-over-bandwidth-by-tracking.svg'),
        'utf8',
      );
      expect(svg.startsWith('<svg')).toBe(true);
      // One line per tracking, drawn through both bandwidths: a path with two points (the
      // legend's samples are `M5,0h30`).
      const lines = [...svg.matchAll(/class="js-line"[^>]*\sd="M([^"]+)"/g)]
        .map((m) => m[1])
        .filter((d) => d.includes('L'));
      expect(lines).toHaveLength(2);
      for (const d of lines) expect(d.split('L')).toHaveLength(2);
      const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
      expect(texts).toContain('bandwidth (Gbit/s)');
      expect(texts).toContain('downtime (ms)');
      expect(texts).toEqual(expect.arrayContaining(['bitmap', 'ring']));
      expect(svg).toContain('width="700"');
    },
    BROWSER_MS,
  );

  it.skipIf(!HAVE_CHROMIUM)(
    'writes a PDF page of the size asked for',
    async () => {
      const t = io();
      const code = await figureCommand(
        args({ format: 'pdf', out: 'pdf', width: 480, height: 320 }),
        t.io,
      );
      expect(code).toBe(ExitCode.Ok);
      const pdf = readFileSync(join(DIR, 'pdf', 'downtime-ms-over-bandwidth-by-tracking.pdf'));
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      // 480 × 320 CSS px = 360 × 240 pt.
      expect(pdf.toString('latin1')).toMatch(/\/MediaBox \[0 0 360 240\]/);
      // The provenance, as comment lines after the document's end, which readers skip.
      expect(pdf.toString('latin1')).toMatch(
        /%%EOF\n% mmulab provenance\n% mmulab_version: [^\n]+\n% source: sweep\.mmu\n(% [^\n]+\n)*% plan_hashes: ([0-9a-f]{16} ?)+\n$/,
      );
    },
    BROWSER_MS,
  );

  it.skipIf(!HAVE_CHROMIUM)(
    'writes a PNG with the provenance in a tEXt chunk whose CRC checks',
    async () => {
      const t = io();
      expect(await figureCommand(args({ format: 'png', out: 'png' }), t.io)).toBe(ExitCode.Ok);
      const png = readFileSync(join(DIR, 'png', 'downtime-ms-over-bandwidth-by-tracking.png'));
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      const text = pngTextChunks(png).get(PNG_KEYWORD);
      expect(text).toMatch(/^mmulab_version: [^\n]+\nsource: sweep\.mmu\n/);
      expect(text).toMatch(/\nplan_hashes: ([0-9a-f]{16} ?)+$/);
      // Every chunk's CRC (over its type and data) holds, by zlib's CRC-32.
      for (let at = 8; at < png.length;) {
        const length = png.readUInt32BE(at);
        expect(png.readUInt32BE(at + 8 + length)).toBe(
          crc32(png.subarray(at + 4, at + 8 + length)),
        );
        at += 12 + length;
      }
    },
    BROWSER_MS,
  );

  it.skipIf(!HAVE_CHROMIUM)(
    '`export plot NAME` writes the named plot with its title, axis title, size and provenance; `as latex` a booktabs table',
    async () => {
      const t = io();
      const code = await runCommand({ file: 'paper.mmu', jobs: 1, dryRun: false }, t.io);
      expect(t.err()).toContain(`wrote ${join('paper', 'fig1.svg')}`);
      expect(code).toBe(ExitCode.Ok);
      const svg = readFileSync(join(DIR, 'paper', 'fig1.svg'), 'utf8');
      expect(svg).toMatch(/^<svg[^>]* width="500" height="300"/);
      expect(svg).toMatch(/<!--\nmmulab_version: [^\n]+\nsource: paper\.mmu\n/);
      expect(svg).toMatch(/plan_hashes: ([0-9a-f]{16} ){3}[0-9a-f]{16}\n/);
      const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
      expect(texts).toEqual(
        expect.arrayContaining(['Downtime', 'downtime (ms)', 'bandwidth (Gbit/s)']),
      );
      const tex = readFileSync(join(DIR, 'paper', 'downtime.tex'), 'utf8');
      expect(tex).toContain(
        'tracking & bandwidth (Gbit/s) & mean\\_downtime\\_ms & n \\\\\n\\midrule',
      );
      expect(tex.match(/^(bitmap|ring) & [25] & [\d.,]+ & 1 \\\\$/gm)).toHaveLength(4);
    },
    BROWSER_MS,
  );

  it('--csv writes one long CSV per chart with its provenance, and --verify catches an edit in it', async () => {
    const t = io();
    const code = await runCommand({ file: 'sweep.mmu', jobs: 1, dryRun: false, csv: 'tidy' }, t.io);
    expect(code).toBe(ExitCode.Ok);
    const path = join(DIR, 'tidy', 'downtime-ms-over-bandwidth-by-tracking.plot.csv');
    const csv = readFileSync(path, 'utf8');
    expect(csv).toMatch(/^# mmulab_version: .*\n# source: sweep\.mmu\n/);
    expect(csv).toContain('# chart: downtime_ms over bandwidth by tracking\n');
    const rows = csv.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(rows[0]).toBe('trace,mark,x_axis,x,y_axis,y');
    expect(rows.slice(1).map((r) => r.split(',').slice(0, 4).join(','))).toEqual([
      'bitmap,lines+markers,bandwidth (Gbit/s),2',
      'bitmap,lines+markers,bandwidth (Gbit/s),5',
      'ring,lines+markers,bandwidth (Gbit/s),2',
      'ring,lines+markers,bandwidth (Gbit/s),5',
    ]);
    const same = io();
    expect(
      await runCommand({ file: 'sweep.mmu', jobs: 1, dryRun: false, verify: 'tidy' }, same.io),
    ).toBe(ExitCode.Ok);
    writeFileSync(path, csv.replace(/,(\d+(\.\d+)?)\n/, ',999\n'));
    const edited = io();
    expect(
      await runCommand({ file: 'sweep.mmu', jobs: 1, dryRun: false, verify: 'tidy' }, edited.io),
    ).toBe(ExitCode.PlanError);
    expect(edited.out()).toMatch(
      /^downtime-ms-over-bandwidth-by-tracking\.plot\.csv: row 1, y: 999 published, [\d.]+ now$/m,
    );
  }, 120_000);

  it('without Chromium, says what to install and writes nothing', async () => {
    const t = io({ MMULAB_CHROMIUM: join(DIR, 'no-such-chromium') });
    const code = await figureCommand(args({ out: 'none' }), t.io);
    expect(code).toBe(ExitCode.PlanError);
    expect(t.err()).toMatch(/MMULAB_CHROMIUM is '.*no-such-chromium', which does not exist/);
    expect(t.err()).toContain("'sudo apt-get install chromium'");
    expect(readdirSync(DIR)).not.toContain('none');
  });

  it('refuses a file that draws no chart, saying what to add', async () => {
    const t = io();
    const code = await figureCommand(args({ file: 'no-plot.mmu' }), t.io);
    expect(code).toBe(ExitCode.PlanError);
    expect(t.err()).toContain('no chart to draw; add a `run` or `sweep` and a `plot` statement');
  });

  it('refuses an unknown format and a bad size with the fix; --help shows the options', async () => {
    const bad = io();
    expect(await main(['figure', 'sweep.mmu', '--format', 'svgz'], bad.io)).toBe(ExitCode.Usage);
    expect(bad.err()).toBe(
      "mmulab figure: unknown --format 'svgz'. Did you mean 'svg'? Formats: svg, pdf, png.\n",
    );
    const size = io();
    expect(await main(['figure', 'sweep.mmu', '--width', '7in'], size.io)).toBe(ExitCode.Usage);
    expect(size.err()).toContain(
      "--width needs a whole number of pixels from 10 to 10000, got '7in'; for example --width 700.",
    );
    const help = io();
    expect(await main(['figure', '--help'], help.io)).toBe(ExitCode.Ok);
    expect(help.out()).toContain('usage: mmulab figure FILE.mmu [--format svg|pdf|png]');
  });
});
