/**
 * The test process's end of a machine's TCP API: one connection, every frame sealed with the system
 * secret and every answer checked before it is believed. Requests are numbered and answers matched
 * by number: a node may answer a call after requests that came later.
 */
import net from 'node:net';
import { apiAnswerSchema, type ApiRequest, type ApiResponse } from '../messages/index.ts';
import { FrameDecoder, FrameSealer, MAC_BYTES, lengthPrefixed } from '../runtime/wire.ts';

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

export class ApiClient {
  private socket: net.Socket | undefined;
  private connecting: Promise<net.Socket> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Why the spawner closed this client, for calls that were still connecting. */
  private closedBy: Error | undefined;
  private readonly sealer: FrameSealer;

  constructor(
    readonly host: string,
    readonly port: number,
    secret: string,
    private readonly options: { maxMessageBytes: number; timeoutMs: number },
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
    return new Promise<ApiResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CallTimeoutError(options.what, options.machine ?? `${this.host}:${this.port}`, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      socket.write(lengthPrefixed(this.sealer.seal({ id, request })));
    });
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
    this.socket?.destroy();
    this.socket = undefined;
    this.connecting = undefined;
  }

  private connect(): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      const decoder = new FrameDecoder(this.options.maxMessageBytes + MAC_BYTES);
      socket.setNoDelay(true);
      socket.once('connect', () => {
        this.socket = socket;
        resolve(socket);
      });
      socket.on('data', (chunk) => {
        const decoded = decoder.push(chunk);
        if ('oversized' in decoded) return this.failAll(new Error(`machine ${this.host}:${this.port} sent an oversized frame (${decoded.oversized} bytes)`));
        for (const frame of decoded.frames) {
          const opened = this.sealer.open(frame, apiAnswerSchema);
          if (!opened.ok) return this.failAll(new Error(`bad answer from ${this.host}:${this.port}: ${opened.reason}: ${opened.detail}`));
          const pending = this.pending.get(opened.value.id);
          if (!pending) continue;
          this.pending.delete(opened.value.id);
          clearTimeout(pending.timer);
          pending.resolve(opened.value.response);
        }
      });
      socket.on('error', (error) => {
        reject(error);
        this.failAll(error);
      });
      socket.on('close', () => {
        this.connecting = undefined;
        this.socket = undefined;
        this.failAll(new Error(`connection to machine ${this.host}:${this.port} closed`));
      });
    }).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private failAll(error: Error): void {
    this.rejectPending(error);
    if (this.socket) this.close();
  }

  private rejectPending(error: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    this.pending.clear();
  }
}
