/**
 * What happened in a simulated run, packet by packet: a running digest of every event (two runs with
 * the same seed must agree on it, byte for byte), the most recent events for error reports, and a
 * bounded record of deliveries for the report's sequence diagram.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Packet } from '../../messages/index.ts';

export type TraceKind = 'deliver' | 'lost' | 'api';

export interface TraceEvent {
  /** Virtual time in ms at which the event happened. */
  t: number;
  kind: TraceKind;
  fromMachine: string;
  toMachine: string;
  /** Virtual time the packet was sent (deliveries only). */
  sentAt: number;
  what: string;
}

export function describePacket(packet: Packet): string {
  return packet.type === 'data'
    ? `data ${packet.from}>${packet.to}#${packet.seq} ${packet.message.type}${'amount' in packet.message ? `(${packet.message.amount})` : 'total' in packet.message ? `(${packet.message.total})` : ''}`
    : `ack ${packet.from}>${packet.to}#${packet.seq}`;
}

export class Trace {
  private readonly hash: Hash = createHash('sha256');
  private readonly ring: string[] = [];
  private ringAt = 0;
  readonly events: TraceEvent[] = [];
  count = 0;

  constructor(
    private readonly recentSize = 50,
    /** How many events to keep whole, for the sequence diagram. */
    private readonly keep = 2000,
  ) {}

  add(event: TraceEvent): void {
    const line = `${event.t.toFixed(6)} ${event.kind} ${event.fromMachine}>${event.toMachine} ${event.what}`;
    this.hash.update(line).update('\n');
    this.count++;
    if (this.ring.length < this.recentSize) this.ring.push(line);
    else this.ring[this.ringAt++ % this.recentSize] = line;
    if (this.events.length < this.keep) this.events.push(event);
  }

  /** The most recent events, oldest first. */
  recent(): string[] {
    if (this.ring.length < this.recentSize) return [...this.ring];
    const start = this.ringAt % this.recentSize;
    return [...this.ring.slice(start), ...this.ring.slice(0, start)];
  }

  /** Digest of every event so far (the run goes on; this does not consume the hash). */
  digest(): string {
    return this.hash.copy().digest('hex');
  }
}
