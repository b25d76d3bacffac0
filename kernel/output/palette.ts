/**
 * How traces are told apart: colour first, from Okabe and Ito's palette for colour
 * vision deficiencies ("Color Universal Design", 2008; the 8 colours Wong recommends
 * in Nature Methods 8:441, 2011), ordered so neighbours differ most and the
 * low-contrast yellow comes last; beyond 8 traces the line dash changes as well, and
 * every trace has its own marker symbol, so 20 series (and more) stay distinct in
 * print and in greyscale.
 */

export const PALETTE = [
  '#0072B2', // blue
  '#E69F00', // orange
  '#009E73', // bluish green
  '#CC79A7', // reddish purple
  '#56B4E9', // sky blue
  '#D55E00', // vermillion
  '#000000', // black
  '#F0E442', // yellow
] as const;

export const DASHES = ['solid', 'dash', 'dot', 'dashdot', 'longdash', 'longdashdot'] as const;

export const SYMBOLS = [
  'circle',
  'square',
  'diamond',
  'triangle-up',
  'x',
  'cross',
  'triangle-down',
  'star',
  'hexagon',
  'pentagon',
  'circle-open',
  'square-open',
] as const;

export interface TraceStyle {
  color: string;
  dash: (typeof DASHES)[number];
  symbol: (typeof SYMBOLS)[number];
}

/**
 * The style of trace `i`: colour i mod 8; the dash changes with each round of the
 * palette, so (colour, dash) is unique for 48 traces; the symbol i mod 12.
 */
export function traceStyle(i: number): TraceStyle {
  return {
    color: PALETTE[i % PALETTE.length],
    dash: DASHES[Math.floor(i / PALETTE.length) % DASHES.length],
    symbol: SYMBOLS[i % SYMBOLS.length],
  };
}

/**
 * The legend for `n` entries: below the plot in a row while they fit, else a column
 * to the right that Plotly scrolls, in a smaller font.
 */
export function legendLayout(n: number): Record<string, unknown> {
  if (n <= 6) return { orientation: 'h', y: -0.2 };
  return {
    orientation: 'v',
    x: 1.02,
    y: 1,
    xanchor: 'left',
    yanchor: 'top',
    font: { size: n > 12 ? 10 : 11 },
    tracegroupgap: 2,
  };
}
