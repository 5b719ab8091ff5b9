/**
 * A history drawn as a timeline, for reports: one lane per process, each operation a bar from its
 * invocation to its completion. Seeing which operations overlap is most of understanding a
 * linearizability violation, so the operations of the violation's window are drawn in red.
 */
import { operationLabel, type History, type Operation } from './history.ts';

export interface TimelineOptions {
  /** Operations to draw in red (a violation's window). Matched by identity, or by id. */
  marked?: readonly Operation[];
  /** Width of the drawing area, in pixels. Default 1000. */
  width?: number;
  /**
   * Draw only the stretch of time these operations span (a violation's window, say), a quarter of
   * it again on each side, and the operations that overlap it: over a long run, a window's bars
   * would otherwise be a few pixels wide.
   */
  around?: readonly Operation[];
}

const LANE_LABEL = 90;
const ROW = 22;
const BAR = 16;
const MARGIN = 10;
const AXIS = 24;

const COLOURS = { ok: '#4a90d9', fail: '#9e9e9e', info: '#f5a623', marked: '#d0021b' } as const;

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The timeline as a standalone SVG document. `info` operations (and those still in flight) have no
 * known end: their bar runs to the right edge, dashed, as they may take effect any time after.
 * A process's operations normally do not overlap; where they do (an `info` followed by the next
 * operation), the lane grows a row, so no bar hides another.
 */
export function timelineSvg(history: History, options: TimelineOptions = {}): string {
  const width = options.width ?? 1000;
  const marked = new Set<Operation>(options.marked ?? []);
  const markedIds = new Set((options.marked ?? []).map((o) => o.id));
  const isMarked = (o: Operation) => marked.has(o) || markedIds.has(o.id);
  let [start, end] = timeSpan(options.around?.length ? options.around : history);
  if (options.around?.length) {
    const pad = Math.max((end - start) / 4, 1);
    [start, end] = [start - pad, end + pad];
  }
  const operations = [...history].filter((o) => o.invokedAt <= end && (o.completedAt ?? Infinity) >= start).sort((a, b) => a.invokedAt - b.invokedAt || a.id - b.id);
  const span = end > start ? end - start : 1;
  const left = LANE_LABEL + MARGIN;
  const right = left + width;
  // Clamped: with `around`, an operation may begin before the drawing does, or end after it.
  const x = (t: number) => Math.min(right, Math.max(left, left + ((t - start) / span) * width));
  const openEnded = (o: Operation) => o.outcome.type === 'info' || o.completedAt === undefined;

  // Lanes in order of each process's first operation; rows inside a lane by greedy interval packing.
  const lanes = new Map<string, { process: string; rows: number[]; bars: { operation: Operation; row: number; from: number; to: number }[] }>();
  for (const operation of operations) {
    const process = String(operation.process);
    let lane = lanes.get(process);
    if (!lane) lanes.set(process, (lane = { process, rows: [], bars: [] }));
    const from = x(operation.invokedAt);
    const to = openEnded(operation) ? right : Math.max(x(operation.completedAt as number), from + 2);
    let row = lane.rows.findIndex((busyUntil) => busyUntil < from);
    if (row === -1) row = lane.rows.push(to) - 1;
    else lane.rows[row] = to;
    lane.bars.push({ operation, row, from, to });
  }

  const parts: string[] = [];
  let top = MARGIN;
  let index = 0;
  for (const lane of lanes.values()) {
    const height = Math.max(1, lane.rows.length) * ROW;
    parts.push(`<g class="lane" data-process="${escape(lane.process)}">`);
    parts.push(`<rect x="0" y="${top}" width="${right + MARGIN}" height="${height}" fill="${index++ % 2 ? '#fafafa' : '#f0f0f0'}"/>`);
    parts.push(`<text x="${MARGIN}" y="${top + ROW / 2 + 4}" font-size="12">${escape(lane.process)}</text>`);
    for (const { operation, row, from, to } of lane.bars) {
      const open = openEnded(operation);
      const y = top + row * ROW + (ROW - BAR) / 2;
      const red = isMarked(operation);
      const colour = red ? COLOURS.marked : COLOURS[operation.outcome.type];
      const label = operationLabel(operation);
      // One stroke at most (a repeated attribute is not XML): black around a marked bar, dashed round an open one.
      const stroke = red ? ' stroke="#000" stroke-width="1.5"' : open ? ` stroke="${colour}" stroke-dasharray="4 3"` : '';
      const title = `#${operation.id} ${operation.key === undefined ? '' : `${operation.key}: `}${label} — ${operation.outcome.type}, ${operation.invokedAt} → ${operation.completedAt ?? '…'}${operation.note === undefined ? '' : ` (${operation.note})`}`;
      // A label wider than its bar runs past it: dark, on the lane's ground.
      parts.push(
        `<g class="op${red ? ' marked' : ''}" data-id="${operation.id}"><title>${escape(title)}</title>` +
          `<rect x="${from.toFixed(1)}" y="${y}" width="${(to - from).toFixed(1)}" height="${BAR}" rx="3" fill="${colour}" fill-opacity="${open ? 0.35 : 0.85}"${stroke}/>` +
          `<text x="${(from + 3).toFixed(1)}" y="${y + BAR - 4}" font-size="11" fill="${open || to - from < label.length * 7 + 6 ? '#333' : '#fff'}">${escape(label)}</text></g>`,
      );
    }
    parts.push('</g>');
    top += height;
  }
  const axisY = top + AXIS / 2;
  parts.push(`<line x1="${left}" y1="${top + 2}" x2="${right}" y2="${top + 2}" stroke="#666"/>`);
  parts.push(`<text x="${left}" y="${axisY + 4}" font-size="11">${escape(timeLabel(start))}</text>`);
  parts.push(`<text x="${right}" y="${axisY + 4}" font-size="11" text-anchor="end">${escape(timeLabel(end))}</text>`);
  const height = top + AXIS + MARGIN;
  const svgWidth = right + MARGIN;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${svgWidth}" height="${height}" viewBox="0 0 ${svgWidth} ${height}" font-family="sans-serif">`,
    ...parts,
    `</svg>`,
  ].join('\n');
}

/** An axis end: virtual times are fractions of a millisecond, of which a reader needs one decimal. */
function timeLabel(ms: number): string {
  return `${Number.isInteger(ms) ? ms : ms.toFixed(1)} ms`;
}

/** From the first invocation to the last completion (or invocation) of `operations`; [0, 1] for none. */
function timeSpan(operations: Iterable<Operation>): [number, number] {
  // A loop, not Math.min(...times): a spread of a long history overflows the stack.
  let start = Infinity;
  let end = -Infinity;
  for (const o of operations) {
    start = Math.min(start, o.invokedAt);
    end = Math.max(end, o.completedAt ?? o.invokedAt, o.invokedAt);
  }
  return start === Infinity ? [0, 1] : [start, end];
}
