/**
 * What happened in a simulated run, packet by packet: a running digest of every event (two runs with
 * the same seed must agree on it, bit for bit), the most recent events for error reports, and a
 * bounded record of deliveries for the report's sequence diagram. The digest is a fast 64-bit mix
 * of the events' fields, not a cryptographic hash: it is there to notice divergence, cheaply, on
 * the simulator's hottest path.
 */
import { fnv1a } from '../../runtime/rng.ts';
import type { ApiRequest, ApiResponse, Body, Packet } from '../../messages/index.ts';

/** A packet's arrival at its machine or its loss; a test's request reaching its machine, or its answer reaching the test. */
export type TraceKind = 'deliver' | 'lost' | 'api' | 'answer';
const KIND_CODE: Record<TraceKind, number> = { deliver: 1, lost: 2, api: 3, answer: 4 };

/**
 * A test's API call as the trace keeps it: the request's type (what the digest mixes), and the
 * request as its machine read it (`api`) or the answer as the test got it (`answer`), described
 * only when shown.
 */
export interface ApiTrace {
  readonly type: 'api';
  readonly call: string;
  readonly detail: ApiRequest | ApiResponse | { readonly ok: false; readonly reason: string };
}

export interface TraceEvent {
  /** Virtual time in ms at which the event happened. */
  t: number;
  kind: TraceKind;
  fromMachine: string;
  toMachine: string;
  /** Virtual time the packet was sent (deliveries only). */
  sentAt: number;
  /** The packet, or the API call. */
  what: Packet | ApiTrace;
}

/** A system's message in a few characters: its type, then its other fields as compact JSON. */
export function describeBody(body: Body, maxChars = 60): string {
  let fields = '';
  for (const key in body) {
    if (key === 'type') continue;
    const value = JSON.stringify(body[key]);
    fields += `${fields ? ',' : ''}${key}=${value}`;
    if (fields.length > maxChars) return `${body.type} ${fields.slice(0, maxChars)}…`;
  }
  return fields ? `${body.type} ${fields}` : body.type;
}

export function describePacket(packet: Packet): string {
  switch (packet.type) {
    case 'ack':
      return `ack ${packet.from}>${packet.to}#${packet.seq}`;
    case 'data':
      return `data ${packet.from}>${packet.to}#${packet.seq}${packet.ack ? ` +ack#${packet.ack.seq}` : ''} ${describeBody(packet.message)}`;
    case 'raw':
      return `raw ${packet.from}>${packet.to} ${describeBody(packet.message)}`;
  }
}

/**
 * A test's request or answer in a few characters: `call_node kv-1 read key="x"`, `start_node
 * counter c-1`; an answer `ok {"value":3}` or its error's name and message.
 */
export function describeApi(api: ApiTrace, maxChars = 60): string {
  const d = api.detail;
  if ('ok' in d) {
    if (d.ok) return `ok ${clip(JSON.stringify(d.result) ?? '', maxChars)}`;
    return clip('reason' in d ? `refused: ${d.reason}` : `${d.error.name}: ${d.error.message}`, maxChars);
  }
  switch (d.type) {
    case 'call_node':
      return `${d.type} ${d.nodeId} ${describeBody(d.request, maxChars)}`;
    case 'send_to_node':
      return `${d.type} ${d.nodeId} ${describeBody(d.message, maxChars)}`;
    case 'start_node':
      return `${d.type} ${d.kind} ${d.id}`;
    default:
      return d.type;
  }
}

const clip = (text: string, maxChars: number) => (text.length > maxChars ? `${text.slice(0, maxChars)}…` : text);

export function describeEvent(e: TraceEvent): string {
  return `${e.t.toFixed(3)} ${e.kind} ${e.fromMachine}>${e.toMachine} ${e.what.type === 'api' ? describeApi(e.what) : describePacket(e.what)}`;
}

/** Who an event is between (a machine, or the test): its id, and that id hashed once for the digest. */
export interface TraceParty {
  readonly id: string;
  readonly traceCode: number;
}

/** A party known by its id alone (the test; a machine that does not exist). */
export function traceParty(id: string): TraceParty {
  return { id, traceCode: fnv1a(id) };
}

export class Trace {
  private h1 = 0x811c9dc5;
  private h2 = 0x01000193;
  /** Events so far. */
  count = 0;
  private readonly kept: TraceEvent[] = [];
  private keptAt = 0;
  /** Events passed over by the kept window (the run's earliest). */
  get dropped(): number {
    return this.count - this.kept.length;
  }

  /** The kept events, oldest first: every event of the run when `keep` is unbounded, else the last `keep`. */
  get events(): TraceEvent[] {
    if (this.kept.length < this.keep) return this.kept;
    const start = this.keptAt % this.keep;
    return [...this.kept.slice(start), ...this.kept.slice(0, start)];
  }

  constructor(
    private readonly recentSize = 50,
    /** How many events to keep whole, for the sequence diagram. */
    private readonly keep = 2000,
  ) {}

  add(t: number, kind: TraceKind, from: TraceParty, to: TraceParty, sentAt: number, what: Packet | ApiTrace): void {
    const fromMachine = from.id;
    const toMachine = to.id;
    this.mix(Math.round(t * 1000));
    this.mix(KIND_CODE[kind]);
    this.mix(from.traceCode);
    this.mix(to.traceCode);
    this.mixPacket(what);
    this.count++;
    // The last `keep` events, for the sequence diagram: a failure ends the run, so the window that
    // matters is the one just before the end (a ring once full; `events` puts it back in order).
    // Once full, slots are reused in place: no allocation per event.
    if (this.kept.length < this.keep) this.kept.push({ t, kind, fromMachine, toMachine, sentAt, what });
    else {
      const slot = this.kept[this.keptAt++ % this.keep]!;
      slot.t = t;
      slot.kind = kind;
      slot.fromMachine = fromMachine;
      slot.toMachine = toMachine;
      slot.sentAt = sentAt;
      slot.what = what;
    }
  }

  /** The most recent events, oldest first, as text. */
  recent(): string[] {
    return this.events.slice(-this.recentSize).map(describeEvent);
  }

  /** Digest of every event so far: 16 hex digits. */
  digest(): string {
    return `${(this.h1 >>> 0).toString(16).padStart(8, '0')}${(this.h2 >>> 0).toString(16).padStart(8, '0')}`;
  }

  /**
   * What tells packets apart: a link packet's sequence number, and a node's body where there is one.
   * An API call mixes its request's type (its request and answer are already copied and checked
   * against their schemas: a run that differs in them differs in what follows).
   */
  private mixPacket(packet: Packet | ApiTrace): void {
    switch (packet.type) {
      case 'api':
        return this.mix(typeCode(packet.call));
      case 'data':
        this.mix(packet.seq);
        // A riding ack's seq, or a marker no seq can take (they are >= 0).
        this.mix(packet.ack ? packet.ack.seq : -3);
        return this.mixBody(packet.message);
      case 'ack':
        this.mix(packet.seq);
        return this.mix(-1);
      case 'raw':
        // No sequence number: a marker no link packet's seq can take (they are >= 0), then the body.
        this.mix(-2);
        return this.mixBody(packet.message);
    }
  }

  /**
   * A body's type and its top-level numbers and strings: enough to tell two runs apart cheaply,
   * without serialising every message (sequence numbers and times already pin the rest).
   */
  private mixBody(body: Body): void {
    this.mix(typeCode(body.type));
    for (const key in body) {
      const value = body[key];
      if (typeof value === 'number') this.mix(value);
      else if (typeof value === 'string' && key !== 'type') this.mix(fnv1a(value));
    }
  }

  /** Two independent 32-bit lanes, each a multiply-xorshift mix (murmur3's finaliser constants). */
  private mix(value: number): void {
    const v = value | 0;
    // Most fields are small integers: their high word needs no division.
    const hi = v === value ? v >> 31 : Math.floor(value / 4294967296) | 0;
    this.h1 = Math.imul(this.h1 ^ v, 0x85ebca6b) ^ hi;
    this.h1 ^= this.h1 >>> 13;
    this.h2 = Math.imul(this.h2 ^ v, 0xc2b2ae35) + Math.imul(hi, 0x27d4eb2f);
    this.h2 ^= this.h2 >>> 16;
  }
}

/** A message type's hash, made once: a system has a handful of types, and every body names one. */
const typeCodes = new Map<string, number>();
function typeCode(type: string): number {
  let code = typeCodes.get(type);
  if (code === undefined) typeCodes.set(type, (code = fnv1a(type)));
  return code;
}
