/**
 * A machine's TCP API, with its resources bounded against whoever can reach the port:
 *
 * - at most `maxConnections` connections: at the limit a new one evicts the oldest connection that
 *   has not yet authenticated a frame (counted `too_many_connections`), or is refused when every
 *   connection is authenticated — so a flood of idle sockets cannot lock the test process out;
 * - a frame must arrive whole within `frameTimeoutMs` of its first byte (`slow_sender`), and a
 *   connection with nothing in flight closes after `idleTimeoutMs` (`idle_timeout` when it never
 *   authenticated; the test process's client closes its own connection before that);
 * - frames longer than `smallFrameBytes` are buffered only after a sealed announcement of their
 *   exact length (FrameReader), and all the bytes held for unannounced frames, over every
 *   connection, stay under `unauthenticatedBytes` (the connection that would pass it is closed:
 *   `memory_limit`);
 * - a connection that closes in the middle of a frame is counted (`mid_frame_close`); one that
 *   sends a frame that does not authenticate, or a replay, is closed unanswered.
 *
 * Only an authenticated peer learns why its request was refused. The runner answers requests
 * through `respond`.
 */
import net from 'node:net';
import type { Logger } from '../logging.ts';
import { apiFrameSchema, type ApiRequest, type ApiResponse } from '../messages/index.ts';
import { InvalidRequestError, describeError } from './errors.ts';
import type { RejectionReason, Rejections } from './rejections.ts';
import { FrameKind, FrameReader, SEAL_OVERHEAD_BYTES, announcedLength, streamFrame, validate, type FrameSealer, type ReplayWindows } from './wire.ts';

export interface ApiLimits {
  /** Largest request or answer (its plaintext). */
  maxMessageBytes: number;
  /** Largest frame taken without a sealed announcement. */
  smallFrameBytes: number;
  maxConnections: number;
  idleTimeoutMs: number;
  frameTimeoutMs: number;
  /** Bytes all unauthenticated input may hold at once, over every connection. */
  unauthenticatedBytes: number;
}

export interface ApiConnection {
  readonly source: string;
}

interface Connection extends ApiConnection {
  socket: net.Socket;
  reader: FrameReader;
  authenticated: boolean;
  /** Requests read but not yet answered: a connection waiting for an answer is not idle. */
  pending: number;
  lastActivity: number;
  /** When the frame being received began (undefined between frames). */
  frameStartedAt: number | undefined;
  /** This connection's share of the unauthenticated bytes held. */
  unauthenticatedHeld: number;
  /** Set when the server closes it, so the close is not also counted as the peer's. */
  closing: boolean;
}

export interface ApiServerOptions {
  port: number;
  /** Requests must name this machine. */
  machineId: string;
  sealer: FrameSealer;
  windows: ReplayWindows;
  rejections: Rejections;
  logger: Logger;
  limits: ApiLimits;
  onRequest: (connection: ApiConnection, id: number, request: ApiRequest) => void;
}

export class ApiServer {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private unauthenticatedHeld = 0;
  private peakUnauthenticatedHeld = 0;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly options: ApiServerOptions) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, () => resolve());
    });
    const { idleTimeoutMs, frameTimeoutMs } = this.options.limits;
    this.sweeper = setInterval(() => this.sweep(), Math.max(50, Math.min(1_000, idleTimeoutMs / 4, frameTimeoutMs / 4))).unref();
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    for (const c of this.connections) this.drop(c);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** What the ping answer reports of this server's resources. */
  stats(): { connections: number; unauthenticatedBytes: number; peakUnauthenticatedBytes: number } {
    return { connections: this.connections.size, unauthenticatedBytes: this.unauthenticatedHeld, peakUnauthenticatedBytes: this.peakUnauthenticatedHeld };
  }

  respond(connection: ApiConnection, id: number, response: ApiResponse): void {
    const c = connection as Connection;
    c.pending = Math.max(0, c.pending - 1);
    c.lastActivity = Date.now();
    if (c.socket.destroyed) return;
    const { sealer, limits } = this.options;
    let frame = sealer.seal(FrameKind.answer, { id, response });
    if (frame.length > limits.maxMessageBytes + SEAL_OVERHEAD_BYTES) {
      const error = { name: 'ResponseTooLarge', message: `response of ${frame.length} bytes exceeds ${limits.maxMessageBytes}` };
      frame = sealer.seal(FrameKind.answer, { id, response: { ok: false, error } });
    }
    c.socket.write(streamFrame(sealer, frame, limits.smallFrameBytes));
  }

  private accept(socket: net.Socket): void {
    const { limits } = this.options;
    const source = `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.connections.size >= limits.maxConnections) {
      // Evict the oldest stranger rather than refuse the newcomer: the newcomer may be the test.
      const stranger = [...this.connections].find((c) => !c.authenticated);
      if (!stranger) {
        this.options.rejections.count('too_many_connections', source, `${limits.maxConnections} authenticated connections already open`);
        socket.destroy();
        return;
      }
      this.reject(stranger, 'too_many_connections', `evicted: ${limits.maxConnections} connections open and ${source} arrived`);
    }
    const c: Connection = {
      source,
      socket,
      authenticated: false,
      pending: 0,
      lastActivity: Date.now(),
      frameStartedAt: undefined,
      unauthenticatedHeld: 0,
      closing: false,
      reader: new FrameReader({ smallFrameBytes: limits.smallFrameBytes, maxFrameBytes: limits.maxMessageBytes + SEAL_OVERHEAD_BYTES }, (frame) => this.onFrame(c, frame)),
    };
    this.connections.add(c);
    socket.on('error', (error) => this.options.logger.debug({ err: describeError(error), source }, 'api connection error'));
    socket.on('close', () => {
      this.connections.delete(c);
      if (!c.closing && c.reader.held > 0) this.options.rejections.count('mid_frame_close', source, `closed with ${c.reader.held} bytes of a frame`);
      this.hold(c, 0);
    });
    socket.on('data', (chunk) => this.onData(c, chunk));
  }

  private onData(c: Connection, chunk: Buffer): void {
    if (c.closing) return;
    const before = c.reader.held;
    const frames = this.framesSeen;
    const refused = c.reader.push(chunk);
    const completed = this.framesSeen !== frames;
    if (refused) {
      const { limits } = this.options;
      const detail =
        refused.refused === 'oversized'
          ? `frame of ${refused.length} bytes exceeds ${limits.maxMessageBytes}`
          : `frame of ${refused.length} bytes, over ${limits.smallFrameBytes}, without a sealed announcement`;
      // The stream cannot be resynchronised without trusting the bad length: close it.
      return this.reject(c, refused.refused, detail);
    }
    if (c.closing) return;
    const held = c.reader.held;
    if (held === 0) c.frameStartedAt = undefined;
    else if (before === 0 || completed) c.frameStartedAt = Date.now();
    // Checked before the bytes count as held: the bound is never passed by more than the chunk just read.
    const wouldHold = this.unauthenticatedHeld - c.unauthenticatedHeld + c.reader.unauthenticatedHeld;
    if (wouldHold > this.options.limits.unauthenticatedBytes) {
      return this.reject(c, 'memory_limit', `unauthenticated input would hold ${wouldHold} bytes, over ${this.options.limits.unauthenticatedBytes}`);
    }
    this.hold(c, c.reader.unauthenticatedHeld);
  }

  /** Frames read so far, over every connection (tells onData whether a new frame began in a chunk). */
  private framesSeen = 0;

  private onFrame(c: Connection, frame: Buffer): void {
    this.framesSeen++;
    if (c.closing) return;
    const { sealer, windows, limits } = this.options;
    if (frame[1] === FrameKind.announce) {
      const opened = sealer.openBytes(FrameKind.announce, frame, windows);
      if (!opened.ok) return this.reject(c, opened.reason, opened.detail);
      const length = announcedLength(opened.value);
      if (length === undefined || length > limits.maxMessageBytes + SEAL_OVERHEAD_BYTES) return this.reject(c, 'oversized', `announced ${length} bytes, over ${limits.maxMessageBytes}`);
      c.authenticated = true;
      c.reader.allowNext(length);
      return;
    }
    const opened = sealer.openBytes(FrameKind.request, frame, windows);
    // A frame that does not authenticate (or is a replay): the stream is not the system's. Close it unanswered.
    if (!opened.ok) return this.reject(c, opened.reason, opened.detail);
    c.authenticated = true;
    c.lastActivity = Date.now();
    let json: unknown;
    try {
      json = JSON.parse(opened.value.toString('utf8'));
    } catch (error) {
      return this.refuseRequest(c, json, 'malformed_json', (error as Error).message);
    }
    const valid = validate(apiFrameSchema, json);
    if (!valid.ok) return this.refuseRequest(c, json, valid.reason, valid.detail);
    // Genuine, but for another machine: a replay of someone else's traffic. Not answered.
    if (valid.value.to !== this.options.machineId) return this.reject(c, 'misdirected', `request ${valid.value.id} is for machine ${valid.value.to ?? '(none)'}`);
    c.pending++;
    this.options.onRequest(c, valid.value.id, valid.value.request);
  }

  /** An authenticated peer's bad request: counted, and answered with the reason. */
  private refuseRequest(c: Connection, json: unknown, reason: RejectionReason, detail: string): void {
    this.options.rejections.count(reason, c.source, detail);
    c.pending++;
    this.respond(c, idOf(json), { ok: false, error: describeError(new InvalidRequestError({ reason, detail })) });
  }

  private sweep(): void {
    const now = Date.now();
    const { idleTimeoutMs, frameTimeoutMs } = this.options.limits;
    for (const c of this.connections) {
      if (c.frameStartedAt !== undefined && now - c.frameStartedAt > frameTimeoutMs) {
        this.reject(c, 'slow_sender', `${c.reader.held} bytes of a frame in ${now - c.frameStartedAt} ms (limit ${frameTimeoutMs} ms)`);
      } else if (c.reader.held === 0 && c.pending === 0 && now - c.lastActivity > idleTimeoutMs) {
        if (c.authenticated) {
          this.options.logger.debug({ source: c.source }, 'idle api connection closed');
          this.drop(c);
        } else {
          this.reject(c, 'idle_timeout', `no authenticated frame in ${now - c.lastActivity} ms (limit ${idleTimeoutMs} ms)`);
        }
      }
    }
  }

  private reject(c: Connection, reason: RejectionReason, detail: string): void {
    this.options.rejections.count(reason, c.source, detail);
    this.drop(c);
  }

  private drop(c: Connection): void {
    c.closing = true;
    this.hold(c, 0);
    this.connections.delete(c);
    c.socket.destroy();
  }

  private hold(c: Connection, bytes: number): void {
    this.unauthenticatedHeld += bytes - c.unauthenticatedHeld;
    c.unauthenticatedHeld = bytes;
    this.peakUnauthenticatedHeld = Math.max(this.peakUnauthenticatedHeld, this.unauthenticatedHeld);
  }
}

/** The request number of an authenticated frame whose request was refused (0 when it has none). */
function idOf(json: unknown): number {
  const id: unknown = typeof json === 'object' && json !== null ? (json as { id?: unknown }).id : undefined;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : 0;
}
