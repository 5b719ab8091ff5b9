/**
 * Bytes on the wire between the test process and machines, and between machines. Every frame is
 * `HMAC-SHA256(secret, body) || body`, body being UTF-8 JSON; the secret is generated per system by
 * the spawner and handed to each machine at start. Over TCP a frame is preceded by its length (4
 * bytes, big-endian); over UDP one datagram is one frame.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { compiledCheck } from '../messages/compiled-check.ts';

export const MAC_BYTES = 32;
/** Largest UDP payload we send or accept (IPv4 maximum). */
export const MAX_DATAGRAM_BYTES = 65_507;

export type Rejection = 'oversized' | 'truncated' | 'bad_mac' | 'malformed_json' | 'invalid_message';

export type Opened<T> = { ok: true; value: T } | { ok: false; reason: Rejection; detail: string };

export function newSystemSecret(): string {
  return randomBytes(32).toString('hex');
}

export class FrameSealer {
  private readonly key: Buffer;

  constructor(secretHex: string) {
    this.key = Buffer.from(secretHex, 'hex');
    if (this.key.length !== 32) throw new Error('a system secret is 32 bytes, hex-encoded');
  }

  seal(value: unknown): Buffer {
    return this.sealBytes(Buffer.from(JSON.stringify(value), 'utf8'));
  }

  /** MAC over arbitrary bytes (well-formed or not: specs use it to forge authenticated garbage). */
  sealBytes(body: Buffer): Buffer {
    return Buffer.concat([this.mac(body), body]);
  }

  /** Check the MAC, parse the JSON, validate against `schema`; say exactly why when any step fails. */
  open<S extends z.ZodType>(frame: Buffer, schema: S): Opened<z.infer<S>> {
    if (frame.length < MAC_BYTES) return { ok: false, reason: 'truncated', detail: `${frame.length} bytes is shorter than a MAC` };
    const body = frame.subarray(MAC_BYTES);
    if (!timingSafeEqual(frame.subarray(0, MAC_BYTES), this.mac(body))) {
      return { ok: false, reason: 'bad_mac', detail: 'the MAC does not match this system secret' };
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (error) {
      return { ok: false, reason: 'malformed_json', detail: (error as Error).message };
    }
    return validate(schema, json);
  }

  private mac(body: Buffer): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }
}

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
 * Splits a TCP byte stream into frames, whatever the chunking. A frame longer than `maxFrameBytes`
 * cannot be skipped safely (we would have to trust its length), so the decoder reports it and the
 * caller closes the connection.
 */
export class FrameDecoder {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  /** Bytes needed before another frame can be complete; avoids re-joining a big frame per chunk. */
  private needed = 4;

  constructor(private readonly maxFrameBytes: number) {}

  /** Feed a chunk; returns the complete frames, or an oversize error. */
  push(chunk: Buffer): { frames: Buffer[] } | { oversized: number } {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    const frames: Buffer[] = [];
    if (this.bufferedBytes < this.needed) return { frames };
    let data = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered, this.bufferedBytes);
    for (;;) {
      if (data.length < 4) break;
      const length = data.readUInt32BE(0);
      if (length > this.maxFrameBytes) return { oversized: length };
      if (data.length < 4 + length) break;
      frames.push(data.subarray(4, 4 + length));
      data = data.subarray(4 + length);
    }
    this.buffered = data.length > 0 ? [data] : [];
    this.bufferedBytes = data.length;
    this.needed = data.length >= 4 ? 4 + data.readUInt32BE(0) : 4;
    return { frames };
  }
}
