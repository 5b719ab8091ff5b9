/**
 * The test process's end of a machine's TCP API: one connection, requests answered in order,
 * every frame sealed with the system secret and every answer checked before it is believed.
 */
import net from 'node:net';
import { apiResponseSchema, type ApiRequest, type ApiResponse } from '../messages/index.ts';
import { FrameDecoder, FrameSealer, MAC_BYTES, lengthPrefixed } from '../runtime/wire.ts';

interface Pending {
  resolve: (response: ApiResponse) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class ApiClient {
  private socket: net.Socket | undefined;
  private connecting: Promise<net.Socket> | undefined;
  private readonly pending: Pending[] = [];
  private readonly sealer: FrameSealer;

  constructor(
    readonly host: string,
    readonly port: number,
    secret: string,
    private readonly options: { maxMessageBytes: number; timeoutMs: number },
  ) {
    this.sealer = new FrameSealer(secret);
  }

  request(request: ApiRequest): Promise<ApiResponse> {
    return this.call(request, request.type);
  }

  /** Send any sealed value and read one sealed response (the boot loader's install speaks this too). */
  async call(request: unknown, what: string): Promise<ApiResponse> {
    const socket = await this.connect();
    return new Promise<ApiResponse>((resolve, reject) => {
      const timer = setTimeout(() => this.failAll(new Error(`no answer to ${what} from ${this.host}:${this.port} within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      this.pending.push({ resolve, reject, timer });
      socket.write(lengthPrefixed(this.sealer.seal(request)));
    });
  }

  close(): void {
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
          const next = this.pending.shift();
          if (!next) continue;
          clearTimeout(next.timer);
          const opened = this.sealer.open(frame, apiResponseSchema);
          if (opened.ok) next.resolve(opened.value);
          else next.reject(new Error(`bad answer from ${this.host}:${this.port}: ${opened.reason}: ${opened.detail}`));
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
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    if (this.socket) this.close();
  }
}
