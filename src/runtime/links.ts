/**
 * Reliable, ordered links between nodes over an unreliable datagram wire. Each direction between two
 * nodes is one link: the sender numbers its messages and retransmits with backoff until they are
 * acknowledged; the receiver delivers each sequence number once, in order, and acknowledges
 * cumulatively. Nodes above never see a loss, a duplicate or a reordering.
 */
import type { AckPacket, Address, DataPacket, NodeMessage } from '../messages/index.ts';
import type { Cancel } from './machine-controller.ts';
import type { MachineHost } from './machine-host.ts';

export interface LinkTiming {
  /** First retransmission timeout. */
  initialRtoMs: number;
  maxRtoMs: number;
  /** At most this many unacknowledged packets are resent per timeout, oldest first. */
  resendBatch: number;
}

export const defaultLinkTiming: LinkTiming = { initialRtoMs: 100, maxRtoMs: 2000, resendBatch: 64 };

/** Deliver to a local node; false when no such node exists (yet), so the packet stays unacknowledged. */
export type Deliver = (from: string, to: string, message: NodeMessage) => boolean;

interface Outgoing {
  readonly from: string;
  readonly to: string;
  address: Address;
  nextSeq: number;
  /** Sent and not yet acknowledged, in sequence order. */
  unacked: DataPacket[];
  rto: number;
  cancelTimer: Cancel | undefined;
}

interface Incoming {
  inc: string;
  delivered: number;
  /** Arrived ahead of a gap, by sequence number. */
  early: Map<number, DataPacket>;
}

export interface LinkStats {
  sent: number;
  retransmitted: number;
  delivered: number;
  duplicatesDropped: number;
}

const linkKey = (from: string, to: string) => `${from}\u0000${to}`;

export class ReliableLinks {
  private readonly outgoing = new Map<string, Outgoing>();
  private readonly incoming = new Map<string, Incoming>();
  readonly stats: LinkStats = { sent: 0, retransmitted: 0, delivered: 0, duplicatesDropped: 0 };
  /** Test-only: deliver duplicates (of already delivered sequence numbers) again, to show the checks catch it. */
  dedup = true;

  constructor(
    private readonly host: MachineHost,
    private readonly deliver: Deliver,
    private readonly timing: LinkTiming = defaultLinkTiming,
  ) {}

  send(from: string, to: string, address: Address, message: NodeMessage): void {
    const key = linkKey(from, to);
    let link = this.outgoing.get(key);
    if (!link) {
      link = { from, to, address, nextSeq: 1, unacked: [], rto: this.timing.initialRtoMs, cancelTimer: undefined };
      this.outgoing.set(key, link);
    }
    link.address = address;
    const packet: DataPacket = {
      type: 'data',
      from,
      to,
      inc: this.host.incarnation,
      seq: link.nextSeq++,
      ackTo: this.host.address,
      message,
    };
    link.unacked.push(packet);
    this.stats.sent++;
    this.host.transmit(address, packet);
    if (!link.cancelTimer) this.armTimer(link);
  }

  onData(packet: DataPacket): void {
    const key = linkKey(packet.from, packet.to);
    let link = this.incoming.get(key);
    if (!link || link.inc !== packet.inc) {
      // First contact, or the sender restarted: its numbering starts again from 1.
      link = { inc: packet.inc, delivered: 0, early: new Map() };
      this.incoming.set(key, link);
    }
    if (packet.seq <= link.delivered) {
      // Already delivered: a retransmission or a network duplicate. Only the test-only switch lets it through.
      if (this.dedup) this.stats.duplicatesDropped++;
      else this.deliver(packet.from, packet.to, packet.message);
    } else if (packet.seq === link.delivered + 1) {
      if (!this.deliver(packet.from, packet.to, packet.message)) return;
      this.stats.delivered++;
      link.delivered = packet.seq;
      for (let next = link.early.get(link.delivered + 1); next; next = link.early.get(link.delivered + 1)) {
        link.early.delete(next.seq);
        if (!this.deliver(next.from, next.to, next.message)) break;
        this.stats.delivered++;
        link.delivered = next.seq;
      }
    } else if (!link.early.has(packet.seq)) {
      link.early.set(packet.seq, packet);
    } else {
      this.stats.duplicatesDropped++;
    }
    const ack: AckPacket = { type: 'ack', from: packet.from, to: packet.to, inc: packet.inc, seq: link.delivered };
    this.host.transmit(packet.ackTo, ack);
  }

  onAck(packet: AckPacket): void {
    const link = this.outgoing.get(linkKey(packet.from, packet.to));
    if (!link || packet.inc !== this.host.incarnation) return;
    let acked = 0;
    while (acked < link.unacked.length && link.unacked[acked]!.seq <= packet.seq) acked++;
    if (acked === 0) return;
    link.unacked.splice(0, acked);
    link.rto = this.timing.initialRtoMs;
    link.cancelTimer?.();
    link.cancelTimer = undefined;
    if (link.unacked.length > 0) this.armTimer(link);
  }

  /** Messages sent and not yet acknowledged, over all links. */
  unackedCount(): number {
    let n = 0;
    for (const link of this.outgoing.values()) n += link.unacked.length;
    return n;
  }

  /** Stop every retransmission timer (the machine is going away). */
  close(): void {
    for (const link of this.outgoing.values()) link.cancelTimer?.();
  }

  private armTimer(link: Outgoing): void {
    link.cancelTimer = this.host.schedule(link.rto, () => {
      link.cancelTimer = undefined;
      if (link.unacked.length === 0) return;
      const batch = link.unacked.slice(0, this.timing.resendBatch);
      for (const packet of batch) this.host.transmit(link.address, packet);
      this.stats.retransmitted += batch.length;
      link.rto = Math.min(link.rto * 2, this.timing.maxRtoMs);
      this.armTimer(link);
    });
  }
}
