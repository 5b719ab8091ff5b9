/**
 * The test process's end of a machine's TCP API: one connection, every frame sealed with the system
 * secret (this process's sender id and counter: a captured request cannot be replayed) and every
 * answer authenticated, checked against replays and validated before it is believed. Requests are
 * numbered and answers matched by number: a node may answer a call after requests that came later.
 * A connection left with nothing in flight is closed by the client itself, well before the
 * machine's idle timeout would close it under a request being written.
 */
import net from 'node:net';
import { apiAnswerSchema, type ApiRequest, type ApiResponse } from '../messages/index.ts';
import { FrameKind, FrameReader, FrameSealer, ReplayWindows, SEAL_OVERHEAD_BYTES, announcedLength, streamFrame } from '../runtime/wire.ts';

interface Pending {
  resolve: (response: ApiResponse) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** No answer in time: the same error, with the same message, in every mode. */
export class CallTimeoutError extends Error {
  override name = 'CallTimeoutError';
  constructor(what: string, machine: string, timeoutMs: number) {
    super(`no answer to ${what} from machine ${machine} within ${timeoutMs} ms`);
  }
}

export interface CallOptions {
  timeoutMs: number;
  /** What is asked, for the timeout's message. */
  what: string;
  /** The machine's name, for the timeout's message. */
  machine: string;
}

export interface ApiClientOptions {
  maxMessageBytes: number;
  /** Frames longer than this are announced first (the machine's API_SMALL_FRAME_BYTES). */
  smallFrameBytes: number;
  /** Close the connection after this long with nothing in flight (half the machine's idle timeout). */
  idleCloseMs: number;
  timeoutMs: number;
}

export class ApiClient {
  private socket: net.Socket | undefined;
  private connecting: Promise<net.Socket> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Why the spawner closed this client, for calls that were still connecting. */
  private closedBy: Error | undefined;
  private readonly sealer: FrameSealer;
  private readonly windows = new ReplayWindows();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    secret: string,
    /** The machine meant: every request names it, and a machine takes only requests for itself. */
    readonly machineId: string,
    private readonly options: ApiClientOptions,
  ) {
    this.sealer = new FrameSealer(secret);
  }

  request(request: ApiRequest, options?: Partial<CallOptions>): Promise<ApiResponse> {
    return this.call(request, { what: request.type, ...options });
  }

  /** Send any sealed value as a numbered request and read its answer (the boot loader's install speaks this too). */
  async call(request: unknown, options: Partial<CallOptions> & { what: string }): Promise<ApiResponse> {
    const socket = await this.connect();
    // Closed while this call waited for its connection: it fails as the calls already waiting did.
    if (socket.destroyed && this.closedBy) throw this.closedBy;
    const id = this.nextId++;
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    clearTimeout(this.idleTimer);
    return new Promise<ApiResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.armIdleClose();
        reject(new CallTimeoutError(options.what, options.machine ?? `${this.host}:${this.port}`, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      socket.write(streamFrame(this.sealer, this.sealer.seal(FrameKind.request, { id, to: this.machineId, request }), this.options.smallFrameBytes));
    });
  }

  /** Nothing in flight: close before the machine's idle timeout could close the connection under a new request. */
  private armIdleClose(): void {
    clearTimeout(this.idleTimer);
    if (this.pending.size > 0 || !this.socket) return;
    const socket = this.socket;
    this.idleTimer = setTimeout(() => {
      if (this.pending.size === 0 && this.socket === socket) this.close();
    }, this.options.idleCloseMs).unref();
  }

  /**
   * Drop the connection. Calls still waiting fail with `reason` when one is given (MachineDownError
   * when the machine was crashed), else with the socket's own "closed" error once it closes.
   */
  close(reason?: Error): void {
    if (reason) {
      this.closedBy = reason;
      this.rejectPending(reason);
    }
    clearTimeout(this.idleTimer);
    const socket = this.current;
    // Forgotten before it is destroyed: its late 'close' and 'error' events must not touch the next connection.
    this.current = undefined;
    this.socket = undefined;
    this.connecting = undefined;
    socket?.destroy();
  }

  /** The connection being made or in use; events of any other (an earlier one, closed) are ignored. */
  private current: net.Socket | undefined;

  private connect(): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    const connecting: Promise<net.Socket> = new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      this.current = socket;
      const mine = () => this.current === socket;
      const maxFrameBytes = this.options.maxMessageBytes + SEAL_OVERHEAD_BYTES;
      let failed = false;
      const fail = (error: Error) => {
        failed = true;
        if (mine()) this.failAll(error);
      };
      const reader = new FrameReader({ smallFrameBytes: this.options.smallFrameBytes, maxFrameBytes }, (frame) => {
        if (failed) return;
        if (frame[1] === FrameKind.announce) {
          const opened = this.sealer.openBytes(FrameKind.announce, frame, this.windows);
          const length = opened.ok ? announcedLength(opened.value) : undefined;
          if (length === undefined) return fail(new Error(`bad announcement from ${this.host}:${this.port}: ${opened.ok ? 'not a length' : `${opened.reason}: ${opened.detail}`}`));
          return reader.allowNext(length);
        }
        const opened = this.sealer.open(FrameKind.answer, frame, apiAnswerSchema, this.windows);
        if (!opened.ok) return fail(new Error(`bad answer from ${this.host}:${this.port}: ${opened.reason}: ${opened.detail}`));
        const pending = this.pending.get(opened.value.id);
        if (!pending) return;
        this.pending.delete(opened.value.id);
        clearTimeout(pending.timer);
        this.armIdleClose();
        pending.resolve(opened.value.response);
      });
      socket.setNoDelay(true);
      socket.once('connect', () => {
        if (!mine()) return; // closed while connecting: its 'close' rejects
        this.socket = socket;
        resolve(socket);
      });
      socket.on('data', (chunk) => {
        if (failed) return;
        const refused = reader.push(chunk);
        if (refused) fail(new Error(`machine ${this.host}:${this.port} sent an ${refused.refused} frame (${refused.length} bytes)`));
      });
      socket.on('error', (error) => {
        // A call still connecting when the spawner closed the client fails with the spawner's reason.
        reject(this.closedBy ?? error);
        if (mine()) this.failAll(error);
      });
      socket.on('close', () => {
        reject(this.closedBy ?? new Error(`connection to machine ${this.host}:${this.port} closed`));
        if (!mine()) return;
        this.current = undefined;
        this.connecting = undefined;
        this.socket = undefined;
        this.failAll(new Error(`connection to machine ${this.host}:${this.port} closed`));
      });
    }).finally(() => {
      if (this.connecting === connecting) this.connecting = undefined;
    });
    this.connecting = connecting;
    return connecting;
  }

  private failAll(error: Error): void {
    this.rejectPending(error);
    if (this.current) this.close();
  }

  private rejectPending(error: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    this.pending.clear();
  }
}

/** A client's limits from the settings the machines were started with (both ends must agree on them). */
export function apiClientOptions(
  settings: { MAX_MESSAGE_BYTES: number; API_SMALL_FRAME_BYTES: number; API_IDLE_TIMEOUT_MS: number },
  timeoutMs: number,
): ApiClientOptions {
  return { maxMessageBytes: settings.MAX_MESSAGE_BYTES, smallFrameBytes: settings.API_SMALL_FRAME_BYTES, idleCloseMs: settings.API_IDLE_TIMEOUT_MS / 2, timeoutMs };
}
