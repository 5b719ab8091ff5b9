/**
 * Reliable, ordered links between nodes over an unreliable datagram wire. Each direction between two
 * nodes is one link: the sender numbers its messages and retransmits with backoff until they are
 * acknowledged; the receiver delivers each sequence number once, in order, and acknowledges
 * cumulatively. Nodes above never see a loss, a duplicate or a reordering.
 */
import type { AckPacket, Address, Body, DataPacket } from '../messages/index.ts';
import type { DelayedAck, HostTimer, MachineHost } from './machine-host.ts';

export interface LinkTiming {
  /** First retransmission timeout. */
  initialRtoMs: number;
  maxRtoMs: number;
  /** At most this many unacknowledged packets are resent per timeout, oldest first. */
  resendBatch: number;
  /** At most this many packets in flight per link; later ones wait their turn (a burst must not flood the receiver's socket). */
  window: number;
  /** Acknowledge after this long, once for everything that arrived meanwhile (delayed ack), well under the RTO. */
  ackDelayMs: number;
}

export const defaultLinkTiming: LinkTiming = { initialRtoMs: 100, maxRtoMs: 2000, resendBatch: 64, window: 64, ackDelayMs: 2 };

/** Deliver to a local node; false when no such node exists (yet), so the packet stays unacknowledged. */
export type Deliver = (from: string, to: string, message: Body) => boolean;

/**
 * A link's packets in flight, in sequence order, each with when it was last sent: a ring that only
 * ever grows. Acknowledged packets leave by moving its head; on a quiet link one packet comes and
 * goes at a time, and an array emptied by `length = 0` would give back its storage, to be
 * allocated again by the next packet.
 */
class InFlight {
  private sent: (DataPacket | undefined)[] = [undefined, undefined, undefined, undefined];
  private times: number[] = [0, 0, 0, 0];
  /** Slot of the oldest packet. */
  private head = 0;
  length = 0;
  /** The sequence number of the oldest packet in flight (they are consecutive). */
  private firstSeq = 0;

  /** The slot of the i-th oldest packet (the capacity is a power of two). */
  private slot(i: number): number {
    return (this.head + i) & (this.sent.length - 1);
  }

  packet(i: number): DataPacket {
    return this.sent[this.slot(i)]!;
  }

  sentAt(i: number): number {
    return this.times[this.slot(i)]!;
  }

  resent(i: number, at: number): void {
    this.times[this.slot(i)] = at;
  }

  push(packet: DataPacket, at: number): void {
    if (this.length === this.sent.length) this.grow();
    if (this.length === 0) this.firstSeq = packet.seq;
    const slot = this.slot(this.length++);
    this.sent[slot] = packet;
    this.times[slot] = at;
  }

  /**
   * Drop every packet up to sequence number `seq` (a cumulative ack); returns how many. A link's
   * packets in flight have consecutive numbers, so the count is a subtraction: no packet is read.
   */
  ackUpTo(seq: number): number {
    const acked = Math.min(this.length, Math.max(0, seq - this.firstSeq + 1));
    for (let i = 0; i < acked; i++) this.sent[this.slot(i)] = undefined;
    this.head = this.slot(acked);
    this.length -= acked;
    this.firstSeq += acked;
    return acked;
  }

  packets(): DataPacket[] {
    return Array.from({ length: this.length }, (_, i) => this.packet(i));
  }

  /** Twice the room, the packets moved to its front in order. */
  private grow(): void {
    const capacity = this.sent.length * 2;
    const sent = new Array<DataPacket | undefined>(capacity).fill(undefined);
    const times = new Array<number>(capacity).fill(0);
    for (let i = 0; i < this.length; i++) {
      sent[i] = this.packet(i);
      times[i] = this.sentAt(i);
    }
    this.sent = sent;
    this.times = times;
    this.head = 0;
  }
}

/** First in, first out, taken from the front by moving an index (shift moves a long array's every item). */
class Fifo<T> {
  private readonly queued: T[] = [];
  private head = 0;

  get length(): number {
    return this.queued.length - this.head;
  }

  push(item: T): void {
    this.queued.push(item);
  }

  /** The oldest item; call only when length > 0. */
  shift(): T {
    const item = this.queued[this.head++]!;
    if (this.head === this.queued.length) this.queued.length = this.head = 0;
    else if (this.head > 1024 && this.head * 2 > this.queued.length) {
      this.queued.splice(0, this.head);
      this.head = 0;
    }
    return item;
  }

  items(): T[] {
    return this.queued.slice(this.head);
  }
}

/**
 * Packets that arrived ahead of a gap, by sequence number. On a jittery network most packets of a
 * busy link do (the simulator's calm network reorders nearly all of a burst), so this is on the hot
 * path: those within a window of the next one expected sit in a ring indexed by their number (no
 * allocation per packet), any further ahead (a sender with a larger window) in a Map made on first use.
 */
class EarlyPackets {
  private static readonly RING = 64;
  private readonly ring: (DataPacket | undefined)[] = new Array<DataPacket | undefined>(EarlyPackets.RING).fill(undefined);
  private far: Map<number, DataPacket> | undefined;

  /** Hold `packet`, `next` being the number the link delivers next; false if it is held already. */
  add(packet: DataPacket, next: number): boolean {
    if (this.has(packet.seq)) return false;
    if (packet.seq - next < EarlyPackets.RING) this.ring[packet.seq & (EarlyPackets.RING - 1)] = packet;
    else (this.far ??= new Map()).set(packet.seq, packet);
    return true;
  }

  /** The packet numbered `seq`, taken out; undefined if none arrived. */
  take(seq: number): DataPacket | undefined {
    const slot = seq & (EarlyPackets.RING - 1);
    const held = this.ring[slot];
    if (held !== undefined && held.seq === seq) {
      this.ring[slot] = undefined;
      return held;
    }
    const far = this.far?.get(seq);
    if (far) this.far!.delete(seq);
    return far;
  }

  private has(seq: number): boolean {
    return this.ring[seq & (EarlyPackets.RING - 1)]?.seq === seq || this.far?.has(seq) === true;
  }

  packets(): DataPacket[] {
    return [...this.ring.filter((packet) => packet !== undefined), ...(this.far?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }
}

/**
 * The sending end of a link. It is its own retransmission timer (no closure per arming: on a quiet
 * link one is armed for nearly every packet): armed while packets wait for acks, it resends only
 * what has waited a full timeout, and re-arms for the oldest packet still waiting.
 */
class Outgoing implements HostTimer {
  nextSeq = 1;
  /** Sent and not yet acknowledged, in sequence order, with when each was last sent. */
  readonly unacked = new InFlight();
  /** Numbered but not yet sent: the window is full. */
  readonly waiting = new Fifo<DataPacket>();
  rto: number;
  timerHandle: unknown = undefined;

  constructor(
    private readonly links: ReliableLinks,
    readonly from: string,
    readonly to: string,
    public address: Address,
  ) {
    this.rto = links.timing.initialRtoMs;
  }

  fire(): void {
    this.links.onTimeout(this);
  }
}

/**
 * The receiving end of a link. It is its own delayed ack (no closure per ack: one arrives for
 * nearly every packet on a quiet link): armed when the first unacknowledged packet arrives, it
 * sends one cumulative ack for everything delivered by the time it goes.
 */
class Incoming implements DelayedAck {
  delivered = 0;
  /** The highest seq an ack carried, sent alone or riding on data the other way. */
  acked = 0;
  /** Arrived ahead of a gap, by sequence number (made on first use). */
  early: EarlyPackets | undefined = undefined;
  /** Where the pending acknowledgement goes; undefined when none is pending. */
  ackTo: Address | undefined = undefined;
  /** Set once another incarnation's link replaced this one: its ack is no longer owed. */
  replaced = false;
  timerHandle: unknown = undefined;

  constructor(
    private readonly host: MachineHost,
    readonly from: string,
    readonly to: string,
    readonly inc: string,
  ) {}

  /** The delayed ack goes. */
  fire(): void {
    const ackTo = this.ackTo;
    if (this.replaced || !ackTo) return;
    this.ackTo = undefined;
    this.acked = this.delivered;
    const ack: AckPacket = { type: 'ack', from: this.from, to: this.to, inc: this.inc, seq: this.delivered };
    this.host.transmit(ackTo, ack);
  }
}

export interface LinksSnapshot {
  outgoing: { from: string; to: string; address: Address; nextSeq: number; unacked: DataPacket[]; waiting: DataPacket[]; rto: number }[];
  incoming: { from: string; to: string; inc: string; delivered: number; early: DataPacket[] }[];
}

export interface LinkStats {
  sent: number;
  retransmitted: number;
  delivered: number;
  duplicatesDropped: number;
}

/** Links by (from, to) without building a key string per packet: the simulator's hottest lookup. */
class PairMap<V> {
  /** Made on first use: an idle machine (most of a large simulation) should cost bytes, not maps. */
  private byFrom: Map<string, Map<string, V>> | undefined;

  get(from: string, to: string): V | undefined {
    return this.byFrom?.get(from)?.get(to);
  }

  set(from: string, to: string, value: V): void {
    this.byFrom ??= new Map();
    let inner = this.byFrom.get(from);
    if (!inner) this.byFrom.set(from, (inner = new Map()));
    inner.set(to, value);
  }

  *values(): IterableIterator<V> {
    for (const inner of this.byFrom?.values() ?? []) yield* inner.values();
  }

  *entries(): IterableIterator<[string, string, V]> {
    for (const [from, inner] of this.byFrom ?? []) for (const [to, value] of inner) yield [from, to, value];
  }
}

export class ReliableLinks {
  private readonly outgoing = new PairMap<Outgoing>();
  private readonly incoming = new PairMap<Incoming>();
  readonly stats: LinkStats = { sent: 0, retransmitted: 0, delivered: 0, duplicatesDropped: 0 };
  /** Test-only: deliver duplicates (of already delivered sequence numbers) again, to show the checks catch it. */
  dedup = true;

  constructor(
    private readonly host: MachineHost,
    private readonly deliver: Deliver,
    readonly timing: LinkTiming = defaultLinkTiming,
  ) {}

  send(from: string, to: string, address: Address, message: Body): void {
    let link = this.outgoing.get(from, to);
    if (!link) {
      link = new Outgoing(this, from, to, address);
      this.outgoing.set(from, to, link);
    }
    link.address = address;
    const packet: DataPacket = {
      type: 'data',
      from,
      to,
      inc: this.host.incarnation,
      seq: link.nextSeq++,
      ackTo: this.host.address,
      ack: undefined,
      message,
    };
    this.stats.sent++;
    if (link.unacked.length < this.timing.window) return this.transmitNew(link, packet);
    if (link.waiting.length === 0) this.host.awaitAcks();
    link.waiting.push(packet);
  }

  private transmitNew(link: Outgoing, packet: DataPacket): void {
    this.piggyback(packet);
    link.unacked.push(packet, this.host.now());
    this.host.transmit(link.address, packet);
    if (!link.timerHandle) this.host.armTimer(link.rto, link);
  }

  /**
   * The ack owed on the link the other way (from `packet.to` back to `packet.from`), if one waits
   * for its delay, rides on this packet and is not sent on its own. One already due has left (the
   * simulator sends it now, as of its due time): the packet then carries none. A retransmission
   * carries the ack again, which is harmless: acks are cumulative.
   */
  private piggyback(packet: DataPacket): void {
    const back = this.incoming.get(packet.to, packet.from);
    if (!back) return;
    if (back.ackTo) this.host.settleAck(back);
    // Owed: an armed ack (a duplicate's included), or a packet whose node is running now (see deliverNext).
    if (back.ackTo) {
      this.host.cancelAck(back);
      back.ackTo = undefined;
    } else if (back.delivered === back.acked) return;
    back.acked = back.delivered;
    packet.ack = { inc: back.inc, seq: back.delivered };
  }

  onData(packet: DataPacket): void {
    if (packet.ack) this.acknowledged(packet.to, packet.from, packet.ack.inc, packet.ack.seq);
    let link = this.incoming.get(packet.from, packet.to);
    // What this packet changes, an ack already due must not carry.
    if (link?.ackTo) this.host.settleAck(link);
    if (!link || link.inc !== packet.inc) {
      // First contact, or the sender restarted: its numbering starts again from 1.
      if (link) link.replaced = true;
      link = new Incoming(this.host, packet.from, packet.to, packet.inc);
      this.incoming.set(packet.from, packet.to, link);
    }
    if (packet.seq <= link.delivered) {
      // Already delivered: a retransmission or a network duplicate. Only the test-only switch lets it through.
      if (this.dedup) this.stats.duplicatesDropped++;
      else this.deliver(packet.from, packet.to, packet.message);
    } else if (packet.seq === link.delivered + 1) {
      if (!this.deliverNext(link, packet)) return;
      const early = link.early;
      for (let next = early?.take(link.delivered + 1); next; next = early!.take(link.delivered + 1)) {
        if (!this.deliverNext(link, next)) break;
      }
      // A reply the node sent at once carried the ack: none owed.
      if (link.delivered === link.acked && !link.ackTo) return;
    } else if (!(link.early ??= new EarlyPackets()).add(packet, link.delivered + 1)) {
      this.stats.duplicatesDropped++;
    }
    this.acknowledge(packet, link);
  }

  /**
   * The link's next packet in order. It counts as delivered while its node handles it, so a reply
   * the node sends at once carries its ack (see piggyback); undone if no such node runs here.
   */
  private deliverNext(link: Incoming, packet: DataPacket): boolean {
    link.delivered = packet.seq;
    if (this.deliver(packet.from, packet.to, packet.message)) {
      this.stats.delivered++;
      return true;
    }
    link.delivered = packet.seq - 1;
    return false;
  }

  /** One cumulative ack per link per ackDelayMs, however many packets arrived in between. */
  private acknowledge(packet: DataPacket, link: Incoming): void {
    if (link.ackTo) return;
    link.ackTo = packet.ackTo;
    this.host.scheduleAck(this.timing.ackDelayMs, packet.ackTo, link);
  }

  onAck(packet: AckPacket): void {
    this.acknowledged(packet.from, packet.to, packet.inc, packet.seq);
  }

  /** Link `from`->`to` (sent from incarnation `inc`) had every seq up to `seq` arrive: an ack, alone or riding on data. */
  private acknowledged(from: string, to: string, inc: string, seq: number): void {
    const link = this.outgoing.get(from, to);
    if (!link || inc !== this.host.incarnation) return;
    if (link.unacked.ackUpTo(seq) === 0) return;
    // Progress: back to the first timeout. While packets wait for acks the armed timer stays (when
    // it fires it looks again); once every one is acknowledged it has nothing left to guard.
    link.rto = this.timing.initialRtoMs;
    if (link.unacked.length === 0 && link.waiting.length === 0 && link.timerHandle) this.host.disarmTimer(link);
    while (link.waiting.length > 0 && link.unacked.length < this.timing.window) this.transmitNew(link, link.waiting.shift());
  }

  /** Every link's state, for the machine's journal (plain JSON). */
  snapshot(): LinksSnapshot {
    return {
      outgoing: [...this.outgoing.values()].map(({ from, to, address, nextSeq, unacked, waiting, rto }) => ({ from, to, address, nextSeq, unacked: unacked.packets(), waiting: waiting.items(), rto })),
      incoming: [...this.incoming.entries()].map(([from, to, link]) => ({ from, to, inc: link.inc, delivered: link.delivered, early: link.early?.packets() ?? [] })),
    };
  }

  /** Take back journaled links after a restart; what was unacknowledged is resent after a timeout. */
  restore(snapshot: LinksSnapshot): void {
    const now = this.host.now();
    for (const o of snapshot.outgoing) {
      const link = new Outgoing(this, o.from, o.to, o.address);
      link.nextSeq = o.nextSeq;
      link.rto = o.rto;
      for (const packet of o.unacked) link.unacked.push(packet, now);
      for (const packet of o.waiting) link.waiting.push(packet);
      this.outgoing.set(o.from, o.to, link);
      if (link.unacked.length > 0) this.host.armTimer(link.rto, link);
    }
    for (const i of snapshot.incoming) {
      const link = new Incoming(this.host, i.from, i.to, i.inc);
      link.delivered = i.delivered;
      if (i.early.length > 0) {
        const early = (link.early = new EarlyPackets());
        for (const packet of i.early) early.add(packet, i.delivered + 1);
      }
      this.incoming.set(i.from, i.to, link);
    }
  }

  /** Stop every retransmission and acknowledgement timer (the machine is going away). */
  close(): void {
    for (const link of this.outgoing.values()) this.host.disarmTimer(link);
    for (const link of this.incoming.values()) if (link.ackTo) this.host.cancelAck(link);
  }

  /**
   * A link's timer fired (one per link, armed lazily: acknowledgements never re-arm it). Resend only
   * what has waited a full timeout, and re-arm for the oldest packet still waiting.
   */
  onTimeout(link: Outgoing): void {
    if (link.unacked.length === 0) return;
    const now = this.host.now();
    // (A remainder under a microsecond counts as due: now + tiny can equal now in floating point.)
    const remaining = link.rto - (now - link.unacked.sentAt(0));
    if (remaining > 0.001) return this.host.armTimer(remaining, link);
    const batch = Math.min(link.unacked.length, this.timing.resendBatch);
    for (let i = 0; i < batch; i++) {
      this.host.transmit(link.address, link.unacked.packet(i));
      link.unacked.resent(i, now);
    }
    this.stats.retransmitted += batch;
    link.rto = Math.min(link.rto * 2, this.timing.maxRtoMs);
    this.host.armTimer(link.rto, link);
  }
}
