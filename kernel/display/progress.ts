import { escapeHtml, textBar } from '../output/format.ts';
import { mmulabMetadata } from './mime.ts';
import type { MimeBundle } from './mime.ts';

/**
 * The progress line of a running cell. The kernel sends it as display_data with a
 * display_id and replaces it with update_display_data as plans advance; the last
 * state, 'finished' or 'interrupted', is an output of its own (session.ts
 * `finishProgress`).
 */

export interface ProgressInfo {
  /** The plan running now (its label), or what the line is about. */
  label: string;
  /** Plans finished. */
  done: number;
  /** Plans in the cell. */
  total: number;
  /** Share of the whole cell's work done, 0..1 (clamped). */
  fraction: number;
  /** Default 'running'. */
  status?: 'running' | 'finished' | 'interrupted';
}

/** The bundle of a progress line: a text bar, an HTML bar (inline CSS) and its figures. */
export function progressBundle(info: ProgressInfo): MimeBundle {
  const status = info.status ?? 'running';
  const fraction = Number.isFinite(info.fraction) ? Math.min(1, Math.max(0, info.fraction)) : 0;
  const shown = status === 'finished' ? 1 : fraction;
  const pct = `${Math.floor(shown * 100)}%`;
  const plans = `${info.done}/${info.total} plan${info.total === 1 ? '' : 's'}`;
  const text =
    status === 'running'
      ? `${textBar(shown)} ${pct}  ${plans}  ${info.label}`
      : status === 'finished'
        ? `finished: ${plans}`
        : `interrupted: ${plans} finished${info.label ? `, stopped during ${info.label}` : ''}`;
  const color =
    status === 'interrupted' ? '#d62728' : status === 'finished' ? '#2ca02c' : '#1f77b4';
  const html =
    `<div style="font:12px system-ui,sans-serif;display:flex;align-items:center;gap:8px">` +
    `<div style="width:160px;height:8px;background:#e4e4e4;border-radius:4px;overflow:hidden">` +
    `<div style="width:${(shown * 100).toFixed(1)}%;height:100%;background:${color}"></div></div>` +
    `<span>${escapeHtml(text.replace(/^[█░]+ /, ''))}</span></div>`;
  return {
    data: { 'text/plain': text, 'text/html': html },
    metadata: mmulabMetadata({
      progress: { status, done: info.done, total: info.total, fraction: shown },
    }),
  };
}
