/**
 * Bytes on the wire between the test process and machines, and between machines. Every frame is
 * sealed with AES-256-GCM under a key derived from the system's secret, so it is private, and
 * authenticated together with a small clear header:
 *
 *   [version u8 = 2][kind u8][sender 8 bytes][counter u64 BE][ciphertext][GCM tag 16 bytes]
 *
 * `sender` is a random id drawn once per process (a restarted machine is a new sender) and
 * `counter` counts every frame that process seals, whatever the key or the receiver. Each sender
 * gets its own key, HKDF(secret, salt = sender), and the GCM nonce is the counter: a nonce is never
 * used twice under one key as long as two processes do not draw the same 64-bit sender id. The
 * whole header is authenticated (GCM's additional data), so the kind of a frame (a node's
 * datagram, an API request, an answer...) cannot be changed, nor a frame moved to another channel.
 *
 * A receiver keeps a sliding window per sender (ReplayWindows): a frame whose counter it has seen
 * is refused as `replayed`, one further behind the highest counter seen than the window as
 * `stale`. Over TCP a frame is preceded by its length (4 bytes, big-endian), and a frame longer
 * than the small-frame limit must be announced by a small sealed `announce` frame carrying its
 * exact length (see FrameReader): an unauthenticated peer can never make a receiver buffer more
 * than a small frame. Over UDP one datagram is one frame.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { compiledCheck } from '../messages/compiled-check.ts';

export const SEAL_VERSION = 2;
const HEADER_BYTES = 18;
const TAG_BYTES = 16;
/** What sealing adds to a body: the clear header and the GCM tag. */
export const SEAL_OVERHEAD_BYTES = HEADER_BYTES + TAG_BYTES;
/** Largest UDP payload we send or accept (IPv4 maximum). */
export const MAX_DATAGRAM_BYTES = 65_507;
/** Counters a receiver remembers behind the highest it has seen, per sender. */
export const REPLAY_WINDOW = 4096;
/** Senders a receiver keeps windows for; the least recently heard is forgotten beyond that. */
export const MAX_SENDERS = 1024;

/** What a frame is: the receiver says which kinds it takes, and the kind is authenticated. */
export const FrameKind = { packet: 1, request: 2, answer: 3, announce: 4, probe: 5, probeAnswer: 6 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export type Rejection =
  | 'oversized'
  | 'truncated'
  | 'bad_header'
  | 'bad_mac'
  | 'replayed'
  | 'stale'
  | 'malformed_json'
  | 'invalid_message'
  | 'unannounced';

export type Opened<T> = { ok: true; value: T } | { ok: false; reason: Rejection; detail: string };

export function newSystemSecret(): string {
  return randomBytes(32).toString('hex');
}

/** This process as a sender: drawn once, so every frame it seals has a nonce of its own. */
const self = { id: randomBytes(8), counter: 0 };

/** The id frames sealed by this process carry (hex), for logs and specs. */
export const senderId = (): string => self.id.toString('hex');

function nonceOf(counter: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(Math.floor(counter / 2 ** 32), 4);
  nonce.writeUInt32BE(counter >>> 0, 8);
  return nonce;
}

export class FrameSealer {
  private readonly secret: Buffer;
  private readonly ownKey: Buffer;
  /** Keys of senders already authenticated (an unauthenticated frame's key is derived, never kept). */
  private readonly keys = new Map<string, Buffer>();

  constructor(secretHex: string) {
    this.secret = Buffer.from(secretHex, 'hex');
    if (this.secret.length !== 32) throw new Error('a system secret is 32 bytes, hex-encoded');
    this.ownKey = this.keyOf(self.id);
  }

  seal(kind: FrameKind, value: unknown): Buffer {
    return this.sealBytes(kind, Buffer.from(JSON.stringify(value), 'utf8'));
  }

  /** Seal arbitrary bytes (well-formed or not: specs use it to make authenticated garbage). */
  sealBytes(kind: FrameKind, plaintext: Buffer): Buffer {
    const counter = self.counter++;
    const header = Buffer.alloc(HEADER_BYTES);
    header[0] = SEAL_VERSION;
    header[1] = kind;
    self.id.copy(header, 2);
    header.writeUInt32BE(Math.floor(counter / 2 ** 32), 10);
    header.writeUInt32BE(counter >>> 0, 14);
    const cipher = createCipheriv('aes-256-gcm', this.ownKey, nonceOf(counter));
    cipher.setAAD(header);
    return Buffer.concat([header, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  }

  /**
   * Authenticate and decrypt a frame of `kind`, then check it against `windows` (when given): a
   * frame is marked seen only once it is known to be genuine, so forgeries cannot poison a window.
   */
  openBytes(kind: FrameKind, frame: Buffer, windows: ReplayWindows | undefined): Opened<Buffer> {
    if (frame.length < SEAL_OVERHEAD_BYTES) return { ok: false, reason: 'truncated', detail: `${frame.length} bytes is shorter than a sealed frame's ${SEAL_OVERHEAD_BYTES}` };
    if (frame[0] !== SEAL_VERSION || frame[1] !== kind) {
      return { ok: false, reason: 'bad_header', detail: `version ${frame[0]} kind ${frame[1]} (this socket takes version ${SEAL_VERSION} kind ${kind})` };
    }
    const sender = frame.subarray(2, 10);
    const counter = frame.readUInt32BE(10) * 2 ** 32 + frame.readUInt32BE(14);
    const senderHex = sender.toString('hex');
    const known = this.keys.get(senderHex);
    const key = known ?? this.keyOf(sender);
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, nonceOf(counter));
      decipher.setAAD(frame.subarray(0, HEADER_BYTES));
      decipher.setAuthTag(frame.subarray(frame.length - TAG_BYTES));
      plaintext = Buffer.concat([decipher.update(frame.subarray(HEADER_BYTES, frame.length - TAG_BYTES)), decipher.final()]);
    } catch {
      return { ok: false, reason: 'bad_mac', detail: 'the frame does not authenticate under this system secret' };
    }
    if (!known) {
      if (this.keys.size >= MAX_SENDERS) this.keys.delete(this.keys.keys().next().value!);
      this.keys.set(senderHex, key);
    }
    const fresh = windows?.accept(senderHex, counter) ?? 'fresh';
    if (fresh !== 'fresh') return { ok: false, reason: fresh, detail: `sender ${senderHex} counter ${counter}` };
    return { ok: true, value: plaintext };
  }

  /** openBytes, then parse the JSON and validate it against `schema`; say exactly why when a step fails. */
  open<S extends z.ZodType>(kind: FrameKind, frame: Buffer, schema: S, windows: ReplayWindows | undefined): Opened<z.infer<S>> {
    const opened = this.openBytes(kind, frame, windows);
    if (!opened.ok) return opened;
    let json: unknown;
    try {
      json = JSON.parse(opened.value.toString('utf8'));
    } catch (error) {
      return { ok: false, reason: 'malformed_json', detail: (error as Error).message };
    }
    return validate(schema, json);
  }

  private keyOf(sender: Buffer): Buffer {
    return Buffer.from(hkdfSync('sha256', this.secret, sender, 'distzero frame v2', 32));
  }
}

/** Sender id and counter of a sealed frame, without authenticating it (specs build replays from them). */
export function frameOrigin(frame: Buffer): { sender: string; counter: number } {
  return { sender: frame.subarray(2, 10).toString('hex'), counter: frame.readUInt32BE(10) * 2 ** 32 + frame.readUInt32BE(14) };
}

/** The length of a sealed frame whose plaintext is `bytes` long (what the simulator charges a packet). */
export const sealedLength = (bytes: number): number => bytes + SEAL_OVERHEAD_BYTES;

/**
 * Which counters a receiver has seen, per sender: the highest, and a bitmap of the REPLAY_WINDOW
 * counters below it. Counters are per sending process, shared by all its receivers, so a receiver
 * sees gaps (frames that went elsewhere); those are simply never seen.
 */
export class ReplayWindows {
  private readonly senders = new Map<string, { highest: number; seen: Uint8Array }>();

  accept(sender: string, counter: number): 'fresh' | 'replayed' | 'stale' {
    let w = this.senders.get(sender);
    if (!w) {
      if (this.senders.size >= MAX_SENDERS) this.senders.delete(this.senders.keys().next().value!);
      w = { highest: -1, seen: new Uint8Array(REPLAY_WINDOW / 8) };
    } else {
      this.senders.delete(sender); // re-inserted below: the map's order is least recently heard first
    }
    this.senders.set(sender, w);
    if (counter > w.highest) {
      if (counter - w.highest >= REPLAY_WINDOW) w.seen.fill(0);
      else for (let c = w.highest + 1; c < counter; c++) clearBit(w.seen, c);
      setBit(w.seen, counter);
      w.highest = counter;
      return 'fresh';
    }
    if (w.highest - counter >= REPLAY_WINDOW) return 'stale';
    if (getBit(w.seen, counter)) return 'replayed';
    setBit(w.seen, counter);
    return 'fresh';
  }

  /** The highest counter seen per sender: what a machine journals, so a restart cannot reopen old frames. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.senders].map(([sender, w]) => [sender, w.highest]));
  }

  /**
   * Back from a journal: everything up to each sender's highest counter counts as seen. A frame
   * that was in flight and unseen at the crash is refused too: a lost packet, which links resend.
   */
  restore(highest: Record<string, number>): void {
    for (const [sender, h] of Object.entries(highest)) this.senders.set(sender, { highest: h, seen: new Uint8Array(REPLAY_WINDOW / 8).fill(0xff) });
  }
}

const bit = (c: number) => c % REPLAY_WINDOW;
const getBit = (seen: Uint8Array, c: number) => (seen[bit(c) >> 3]! & (1 << (bit(c) & 7))) !== 0;
const setBit = (seen: Uint8Array, c: number) => void (seen[bit(c) >> 3]! |= 1 << (bit(c) & 7));
const clearBit = (seen: Uint8Array, c: number) => void (seen[bit(c) >> 3]! &= ~(1 << (bit(c) & 7)));

/** Validate parsed JSON against `schema`, saying which field is wrong (what a machine reports of a bad frame). */
export function validate<S extends z.ZodType>(schema: S, json: unknown): Opened<z.infer<S>> {
  if (compiledCheck(schema)(json)) return { ok: true, value: json as z.infer<S> };
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: 'invalid_message', detail: `${issue?.path.join('.') || '(root)'}: ${issue?.message}` };
  }
  return { ok: true, value: parsed.data };
}

/** `[length u32 BE][frame]` */
export function lengthPrefixed(frame: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(frame.length);
  return Buffer.concat([header, frame]);
}

/**
 * A sealed frame ready for a TCP stream: length-prefixed, and preceded by its sealed announcement
 * when it is longer than `smallFrameBytes` (the receiver will not buffer it otherwise).
 */
export function streamFrame(sealer: FrameSealer, frame: Buffer, smallFrameBytes: number): Buffer {
  if (frame.length <= smallFrameBytes) return lengthPrefixed(frame);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(frame.length);
  return Buffer.concat([lengthPrefixed(sealer.sealBytes(FrameKind.announce, length)), lengthPrefixed(frame)]);
}

/** The length an announcement promises (its plaintext is that length, u32 BE). */
export function announcedLength(plaintext: Buffer): number | undefined {
  return plaintext.length === 4 ? plaintext.readUInt32BE(0) : undefined;
}

export type ReadResult = { frames: Buffer[] } | { refused: 'oversized' | 'unannounced'; length: number; frames: Buffer[] };

/**
 * Splits a TCP byte stream into frames, whatever the chunking. A frame longer than
 * `smallFrameBytes` is buffered only when its length was announced (`allowNext`, called by the
 * owner as soon as it has authenticated the announcement, before the next frame is read); an
 * oversized or unannounced length cannot be skipped safely (we would have to trust it), so the
 * reader reports it and the owner closes the connection.
 */
export class FrameReader {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  /** Bytes needed before another frame can be complete; avoids re-joining a big frame per chunk. */
  private needed = 4;
  private announced: number | undefined;
  /** Whether the frame being buffered was announced (authenticated bytes) or not. */
  private currentAnnounced = false;

  constructor(
    private readonly limits: { smallFrameBytes: number; maxFrameBytes: number },
    private readonly onFrame: (frame: Buffer) => void,
  ) {}

  /** Bytes held for a frame not yet complete. */
  get held(): number {
    return this.bufferedBytes;
  }

  /** Bytes held that no authenticated announcement vouched for. */
  get unauthenticatedHeld(): number {
    return this.currentAnnounced ? 0 : this.bufferedBytes;
  }

  /** The next frame may be exactly `length` bytes long, however large (up to the maximum). */
  allowNext(length: number): void {
    this.announced = length;
  }

  /** Feed a chunk; frames are handed to onFrame one by one, in order. */
  push(chunk: Buffer): { refused: 'oversized' | 'unannounced'; length: number } | undefined {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes < this.needed) return undefined;
    let data = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered, this.bufferedBytes);
    for (;;) {
      if (data.length < 4) break;
      const length = data.readUInt32BE(0);
      if (length > this.limits.maxFrameBytes) return this.refuse('oversized', length);
      this.currentAnnounced = length > this.limits.smallFrameBytes;
      if (this.currentAnnounced && this.announced !== length) return this.refuse('unannounced', length);
      if (data.length < 4 + length) break;
      const frame = data.subarray(4, 4 + length);
      data = data.subarray(4 + length);
      this.announced = undefined;
      this.currentAnnounced = false;
      this.onFrame(frame);
    }
    this.buffered = data.length > 0 ? [data] : [];
    this.bufferedBytes = data.length;
    this.needed = data.length >= 4 ? 4 + data.readUInt32BE(0) : 4;
    if (data.length === 0) this.currentAnnounced = false;
    return undefined;
  }

  private refuse(refused: 'oversized' | 'unannounced', length: number) {
    this.buffered = [];
    this.bufferedBytes = 0;
    this.currentAnnounced = false;
    return { refused, length };
  }
}
