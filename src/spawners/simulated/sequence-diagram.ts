/**
 * A message-sequence diagram of a simulated run, as SVG: one lifeline per machine and one for the
 * test, time downward. An arrow is a packet carrying a node message reaching its machine, labelled
 * with its link's sequence number (`#6`) and its body (acknowledgements left out; raw datagrams,
 * which have no link, marked "~"); a lost packet ends in a cross. The link hands its node messages
 * in order, once each: a packet that arrives ahead of a gap (#6 before a lost #5 is resent) waits
 * on its machine until the gap fills, and a duplicate is dropped there. The test's requests are
 * arrows from its lifeline (`call_node kv-1 read key="x"`), their answers dashed arrows back.
 */
import { describeApi, describeBody, type TraceEvent } from './trace.ts';

const escape = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

export interface DiagramOptions {
  /** Draw only what happened from this virtual time (ms) on: a violation's window, say. */
  from?: number;
  /** Draw only what happened up to this virtual time (ms). */
  to?: number;
  /** The most arrows drawn: the last of the stretch (default 400). */
  maxArrows?: number;
}

/**
 * The diagram of the last `maxArrows` messages (default 400), of the whole trace or of the stretch
 * from `from` to `to`: a failure ends a simulated run, so by default the window that explains it is
 * the one just before the end; a history's violation can be earlier. `earlier` counts the trace
 * events already passed over before `events` begins; the caption says which part of the run is shown.
 */
export function sequenceDiagram(events: readonly TraceEvent[], names: ReadonlyMap<string, string>, options: DiagramOptions & { earlier?: number } = {}): string {
  const { from = -Infinity, to = Infinity } = options;
  const messages = events.filter((e) => e.what.type !== 'ack' && e.t >= from && e.t <= to);
  const shown = messages.slice(-(options.maxArrows ?? 400));
  const lanes: string[] = ['test'];
  for (const e of shown) for (const m of [e.fromMachine, e.toMachine]) if (!lanes.includes(m)) lanes.push(m);
  const laneX = (m: string) => 150 + lanes.indexOf(m) * 170;
  const rowH = 22;
  const top = 60;
  const height = top + shown.length * rowH + 40;
  const width = 150 + lanes.length * 170;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace" font-size="11">`,
    '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="8" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#335"/></marker></defs>',
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  for (const m of lanes) {
    const x = laneX(m);
    parts.push(`<line x1="${x}" y1="${top - 10}" x2="${x}" y2="${height - 20}" stroke="#bbb" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${x}" y="30" text-anchor="middle" font-weight="bold">${escape(m === 'test' ? 'test' : (names.get(m) ?? m))}</text>`);
  }
  shown.forEach((e, i) => {
    const y = top + i * rowH;
    const x1 = laneX(e.fromMachine);
    const x2 = laneX(e.toMachine);
    const what = e.what;
    const label =
      what.type === 'api' ? `${e.kind === 'answer' ? '↩ ' : ''}${describeApi(what, 40)}` : what.type === 'data' ? `#${what.seq} ${describeBody(what.message, 40)}` : what.type === 'raw' ? `~${describeBody(what.message, 40)}` : 'ack';
    parts.push(`<text x="8" y="${y + 4}" fill="#777">${e.t.toFixed(1)} ms</text>`);
    if (e.kind === 'lost') {
      const xm = (x1 + x2) / 2;
      parts.push(`<line x1="${x1}" y1="${y}" x2="${xm}" y2="${y + rowH / 2}" stroke="#c33"/>`);
      parts.push(`<text x="${xm}" y="${y + rowH / 2 + 4}" fill="#c33" text-anchor="middle">✕ ${escape(label)}</text>`);
      return;
    }
    const dashed = e.kind === 'answer' ? ' stroke-dasharray="5 3"' : '';
    parts.push(`<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y + rowH * 0.6}" stroke="#335"${dashed} marker-end="url(#arrow)"/>`);
    parts.push(`<text x="${(x1 + x2) / 2}" y="${y - 2}" text-anchor="middle" fill="#114">${escape(label)}</text>`);
  });
  const stretch = options.from !== undefined || options.to !== undefined ? { from, to, keptFrom: events[0]?.t } : undefined;
  parts.push(`<text x="8" y="${height - 6}" fill="#777">${escape(caption(shown, messages.length, options.earlier ?? 0, stretch))}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

function caption(shown: readonly TraceEvent[], kept: number, earlier: number, stretch?: { from: number; to: number; keptFrom: number | undefined }): string {
  if (stretch) {
    const asked = `from ${Number.isFinite(stretch.from) ? stretch.from.toFixed(1) : 'the start'} to ${Number.isFinite(stretch.to) ? stretch.to.toFixed(1) : 'the end'} virtual ms`;
    // The trace keeps the run's last events: a stretch that began before them is drawn in part.
    const cut = earlier > 0 && stretch.keptFrom !== undefined && stretch.keptFrom > stretch.from ? `; the trace holds only what happened from ${stretch.keptFrom.toFixed(1)} ms on (keep more with traceEvents)` : '';
    const some = shown.length < kept ? `the last ${shown.length} of ${kept} messages` : `${shown.length} messages`;
    return `${some} ${asked}${cut}`;
  }
  if (shown.length === 0) return 'no messages in this run';
  const span = `${shown[0]!.t.toFixed(1)} to ${shown.at(-1)!.t.toFixed(1)} virtual ms`;
  if (shown.length === kept && earlier === 0) return `the whole run: ${shown.length} messages, ${span}`;
  return `the last ${shown.length} messages before the end of the run, ${span} (${kept - shown.length + earlier} earlier events not shown)`;
}
