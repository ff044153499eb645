import { escapeMarkup } from '../svg/escape.ts';
import { formatValue } from '../svg/scale.ts';

/** Small HTML pieces shared by the report's sections. */

/** A chart with its title and a caption, or a note in place of a chart that would have no data. */
export function figure(options: {
  title: string;
  svg: string | null;
  caption?: string;
  empty?: string;
  /** Spans the whole width (heat maps). */
  wide?: boolean;
}): string {
  const body =
    options.svg ?? `<p class="empty">${escapeMarkup(options.empty ?? 'not recorded in this run')}</p>`;
  const caption =
    options.caption === undefined ? '' : `<figcaption>${escapeMarkup(options.caption)}</figcaption>`;
  return `<figure class="plot${options.wide === true ? ' wide' : ''}"><h3>${escapeMarkup(options.title)}</h3>${body}${caption}</figure>`;
}

/** A table cell for a metric: its value, or `n/a` (styled) where the row has none. */
export function metricCell(value: number | undefined, format: (v: number) => string = formatValue): string {
  return value === undefined
    ? '<td class="na">n/a</td>'
    : `<td class="num">${escapeMarkup(format(value))}</td>`;
}

export const percent = (v: number) => `${(v * 100).toFixed(0)}%`;
