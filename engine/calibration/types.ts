/**
 * A published measurement the model is checked against. The figures are data, each
 * with the source it was published in and the setup it was measured on, so that the
 * calibration can be rerun (`npm run calibrate`) and a cost's basis can name them
 * (engine/kvm/costs.ts COST_INFO).
 */
export interface PublishedFigure {
  /** Stable id, referenced by COST_INFO bases: `<author>-<year>-<what>`. */
  id: string;
  /** What was measured, in a few words. */
  what: string;
  /** The published value, in `unit`. */
  value: number;
  unit: FigureUnit;
  /** The machine and configuration it was measured on, as far as the source says. */
  setup: string;
  /** Where it was published: author, title or subject, list or venue, date. */
  source: string;
  /**
   * `low`: a third-party or second-hand figure, or one whose setup the source leaves
   * open; the model is compared with it but no cost is derived from it alone.
   */
  confidence: 'high' | 'low';
}

/** Units of published figures: seconds of wall time, cycles, or a ratio of two runs. */
export type FigureUnit = 's' | 'ms' | 'ms/GiB' | 'ns' | 'cycles' | 'ratio';

/** A figure the model reproduces with a scenario, or says why it does not. */
export interface CalibrationRow {
  figure: PublishedFigure;
  /** The model's value in the figure's unit; null when no scenario reproduces it. */
  model: number | null;
  /** (model - published) / published; null without a model value. */
  relativeError: number | null;
  /** How the scenario maps the figure's setup onto the model (assumptions included). */
  scenario: string;
}
