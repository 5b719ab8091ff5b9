/**
 * Every input a machine refuses, counted by reason, and logged without flooding: the first few of
 * each reason are logged one by one (with where they came from and why), the rest only as a
 * periodic summary of how many were held back. An attacker can make a machine count, never make
 * it write a log line per packet.
 */
import type { Logger } from '../logging.ts';
import type { Rejection } from './wire.ts';

/** Why a connection was closed against its peer's will (frame-level reasons are in Rejection). */
export type ConnectionRejection = 'mid_frame_close' | 'slow_sender' | 'idle_timeout' | 'too_many_connections' | 'memory_limit';

/** An authenticated request for another machine (a replay from another machine's traffic). */
export type RejectionReason = Rejection | ConnectionRejection | 'misdirected';

export const REJECTION_REASONS: readonly RejectionReason[] = [
  'oversized',
  'truncated',
  'bad_header',
  'bad_mac',
  'replayed',
  'stale',
  'malformed_json',
  'invalid_message',
  'unannounced',
  'misdirected',
  'mid_frame_close',
  'slow_sender',
  'idle_timeout',
  'too_many_connections',
  'memory_limit',
];

/** Logged one by one per reason before the summary takes over. */
const LOGGED_EACH = 5;
const SUMMARY_EVERY_MS = 10_000;

export class Rejections {
  readonly counts = Object.fromEntries(REJECTION_REASONS.map((r) => [r, 0])) as Record<RejectionReason, number>;
  private readonly heldBack = new Map<RejectionReason, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly logger: Logger) {}

  count(reason: RejectionReason, source: string, detail: string): void {
    const n = ++this.counts[reason];
    if (n <= LOGGED_EACH) {
      this.logger.warn({ reason, source, detail, count: n }, n === LOGGED_EACH ? 'rejected input (more of this reason only in summaries)' : 'rejected input');
      return;
    }
    this.heldBack.set(reason, (this.heldBack.get(reason) ?? 0) + 1);
    this.timer ??= setTimeout(() => this.summarize(), SUMMARY_EVERY_MS).unref();
  }

  /** Log what was held back since the last summary (also called at stop, so nothing goes unsaid). */
  summarize(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.heldBack.size === 0) return;
    this.logger.warn({ held_back: Object.fromEntries(this.heldBack), counts: this.nonZero() }, 'rejected input (summary)');
    this.heldBack.clear();
  }

  private nonZero(): Partial<Record<RejectionReason, number>> {
    return Object.fromEntries(Object.entries(this.counts).filter(([, n]) => n > 0));
  }
}
