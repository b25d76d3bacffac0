import { existsSync } from 'node:fs';
import type { FigureFormat } from './figure-formats.ts';
import type { PlotlyFigure } from './figures.ts';
import { escapeHtml } from './format.ts';
import { plotlyJs } from './plotly-js.ts';

/**
 * Charts as image files for papers: each Plotly figure drawn by plotly.js in headless
 * Chromium and saved with Plotly.toImage (SVG, PNG), or as a PDF printed by Chromium
 * from that SVG, so the PDF keeps the vector paths and text. Chromium is the system's
 * (Debian's `chromium` package), driven by playwright-core; nothing is downloaded.
 */

export { FIGURE_FORMATS } from './figure-formats.ts';
export type { FigureFormat } from './figure-formats.ts';

/** The size of a figure in CSS pixels (a PDF page of the same size, at 96 px per inch). */
export interface FigureSize {
  width: number;
  height: number;
}

/** A figure's size when none is asked for: Plotly's default width, the layout's height if set. */
export const DEFAULT_FIGURE_SIZE: FigureSize = { width: 700, height: 450 };

/** Where Chromium is looked for, in order, after `MMULAB_CHROMIUM`. */
export const CHROMIUM_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
] as const;

/** No Chromium to draw with, or it failed to start: the message says what to install. */
export class ChromiumMissingError extends Error {
  override name = 'ChromiumMissingError';
}

/**
 * The Chromium executable: `MMULAB_CHROMIUM` if set (it must exist), else the first of
 * CHROMIUM_PATHS that exists. Throws ChromiumMissingError naming what to install.
 */
export function findChromium(env: Readonly<Record<string, string | undefined>>): string {
  const given = env.MMULAB_CHROMIUM;
  if (given !== undefined && given !== '') {
    if (existsSync(given)) return given;
    throw new ChromiumMissingError(
      `MMULAB_CHROMIUM is '${given}', which does not exist; point it at a Chromium or Chrome executable, or unset it to use /usr/bin/chromium (Debian/Ubuntu: 'sudo apt-get install chromium').`,
    );
  }
  const found = CHROMIUM_PATHS.find((p) => existsSync(p));
  if (found !== undefined) return found;
  throw new ChromiumMissingError(
    `drawing a chart needs Chromium, and none was found (looked in ${CHROMIUM_PATHS.join(', ')}). Install it (Debian/Ubuntu: 'sudo apt-get install chromium'; Fedora: 'sudo dnf install chromium'), or set MMULAB_CHROMIUM to a Chrome or Chromium executable.`,
  );
}

/** What DRAW_IN_PAGE defines on the page: draw a figure and return its image as a data URL. */
type DrawInPage = (
  data: unknown,
  layout: unknown,
  width: number,
  height: number,
  format: 'svg' | 'png',
) => Promise<string>;

/**
 * Runs in the page: draws into #chart (replacing the previous figure) at the given
 * size, without the toolbar, and returns Plotly.toImage's data URL.
 */
const DRAW_IN_PAGE = `window.mmulabDraw = async function (data, layout, width, height, format) {
  var el = document.getElementById('chart');
  Plotly.purge(el);
  await Plotly.newPlot(el, data, Object.assign({}, layout, { width: width, height: height }), { staticPlot: true });
  return Plotly.toImage(el, { format: format, width: width, height: height });
};`;

/** One chart to draw. */
export interface FigureJob {
  figure: PlotlyFigure;
  /** Absent: the layout's width and height (`size 600x400`), else DEFAULT_FIGURE_SIZE's. */
  size?: Partial<FigureSize>;
}

/** The figure's title (its layout's), or `mmulab chart`. */
export function figureTitle(figure: PlotlyFigure): string {
  const { title } = figure.layout as { title?: { text?: unknown } | string };
  const text = typeof title === 'object' ? title.text : title;
  return typeof text === 'string' && text !== '' ? text : 'mmulab chart';
}

/** The size a job is drawn at. */
export function figureSize(job: FigureJob): FigureSize {
  const { width, height } = job.figure.layout as { width?: unknown; height?: unknown };
  return {
    width: job.size?.width ?? (typeof width === 'number' ? width : DEFAULT_FIGURE_SIZE.width),
    height: job.size?.height ?? (typeof height === 'number' ? height : DEFAULT_FIGURE_SIZE.height),
  };
}

/**
 * Draw every job in one Chromium (started once, plotly.js parsed once) and return each
 * image's bytes, in order. The same figures and sizes give the same SVG (a PDF also
 * records when Chromium printed it).
 */
export async function renderFigures(
  jobs: readonly FigureJob[],
  format: FigureFormat,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Buffer[]> {
  if (jobs.length === 0) return [];
  const executablePath = findChromium(env);
  const { chromium } = await import('playwright-core');
  let browser;
  try {
    browser = await chromium.launch({
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  } catch (e) {
    throw new ChromiumMissingError(
      `Chromium at ${executablePath} did not start: ${(e as Error).message.split('\n')[0]}. Reinstall it (Debian/Ubuntu: 'sudo apt-get install --reinstall chromium') or set MMULAB_CHROMIUM to another executable.`,
    );
  }
  try {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><html><body><div id="chart"></div></body></html>');
    await page.addScriptTag({ content: plotlyJs().source });
    await page.addScriptTag({ content: DRAW_IN_PAGE });
    const out: Buffer[] = [];
    for (const job of jobs) {
      const size = figureSize(job);
      const imageFormat: 'svg' | 'png' = format === 'png' ? 'png' : 'svg';
      const url = await page.evaluate(
        (job) =>
          (globalThis as unknown as { mmulabDraw: DrawInPage }).mmulabDraw(
            job.data,
            job.layout,
            job.width,
            job.height,
            job.imageFormat,
          ),
        { data: job.figure.data, layout: job.figure.layout, ...size, imageFormat },
      );
      if (format === 'png') {
        out.push(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));
        continue;
      }
      // Plotly gives the SVG as a URI-encoded data URL.
      const svg = decodeURIComponent(url.slice(url.indexOf(',') + 1));
      if (format === 'svg') {
        out.push(Buffer.from(svg, 'utf8'));
        continue;
      }
      const print = await browser.newPage();
      try {
        await print.setContent(
          `<!doctype html><html><head><title>${escapeHtml(figureTitle(job.figure))}</title><style>@page { margin: 0 } html, body { margin: 0 } svg { display: block }</style></head><body>${svg}</body></html>`,
        );
        out.push(
          await print.pdf({
            width: `${size.width}px`,
            height: `${size.height}px`,
            printBackground: true,
            pageRanges: '1',
          }),
        );
      } finally {
        await print.close();
      }
    }
    return out;
  } finally {
    await browser.close();
  }
}
