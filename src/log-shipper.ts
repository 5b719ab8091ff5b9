/**
 * Ships log lines to logstash's `tcp { codec => json_lines }` input, and knows what became of them.
 *
 * Why not pino-socket: it hides its socket, so a logstash that accepts a connection and never reads
 * grows that socket's buffer without bound and without a word, and at exit nobody can say what was
 * lost. Here every line is either handed to the kernel (the most TCP tells a json_lines client),
 * waiting (in the socket or in a queue bounded in bytes; beyond it the oldest are dropped and
 * counted), or counted as undelivered at close. The socket and timers are unref'd, so a sink that
 * never answers cannot keep a process alive; close() is bounded by a deadline.
 */
import net from 'node:net';

export interface ShipperOptions {
  host: string;
  port: number;
  /** Bytes held for logstash while it is away or slow; beyond it the oldest lines are dropped. */
  maxBufferBytes: number;
  /** Lines waiting with no progress this long: the sink is stalled (reported once per stall). */
  stallMs: number;
  /**
   * Told once when the sink stalls — nothing delivered for stallMs (unreachable, or connected and not
   * reading), or delivering too slowly (half the buffer used) — and when it has caught up.
   */
  onStall: (report: ShipperReport, why: StallReason) => void;
  onRecover: (report: ShipperReport) => void;
  /** Told once per outage, on the first failed connection or a lost one. */
  onUnreachable: (error: Error) => void;
}

export type StallReason = 'no progress' | 'falling behind';

export interface ShipperReport {
  connected: boolean;
  /** Times the connection was lost after being open. */
  disconnects: number;
  /** Lines handed to the kernel for logstash. */
  sent: number;
  /** Lines waiting (in the socket and in the queue), and their bytes. */
  bufferedLines: number;
  bufferedBytes: number;
  /** Lines dropped because the buffer was full (the oldest first). */
  dropped: number;
  /** How long nothing has moved while lines waited. */
  stalledForMs: number;
}

/** Lines in the socket's own buffer at most; the rest wait in the queue, where the bound applies. */
const SOCKET_WINDOW_BYTES = 256 * 1024;
const BACKOFF_MS = { first: 100, max: 2_000 };

interface Line {
  text: string;
  bytes: number;
}

export class LogShipper {
  private socket: net.Socket | undefined;
  private connected = false;
  private disconnects = 0;
  private sent = 0;
  private dropped = 0;
  /** Handed to the current socket, not yet flushed to the kernel (their callbacks come in order). */
  private inFlight: Line[] = [];
  private inFlightBytes = 0;
  /** Waiting for the socket; `head` is the first live entry (shifting arrays is O(n)). */
  private queue: Line[] = [];
  private head = 0;
  private queuedBytes = 0;
  private lastProgress = Date.now();
  private stalled = false;
  private outage = false;
  private closing = false;
  /** close() has given up waiting: no more connections. */
  private ended = false;
  private delayMs = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly watchdog: NodeJS.Timeout;
  private readonly progressWaiters = new Set<() => void>();

  constructor(private readonly options: ShipperOptions) {
    this.watchdog = setInterval(() => this.checkStall(), Math.max(50, Math.min(1_000, options.stallMs / 4)));
    this.watchdog.unref();
    this.connect();
  }

  /** pino's stream interface: one JSON line per call. */
  write(text: string): boolean {
    if (this.closing) return true;
    if (this.waiting() === 0) this.lastProgress = Date.now();
    const line = { text, bytes: Buffer.byteLength(text) };
    if (this.connected && this.head === this.queue.length && this.inFlightBytes < SOCKET_WINDOW_BYTES) this.send(line);
    else this.enqueue(line);
    // Falling behind is said as the buffer fills, not at the watchdog's next look: by then a burst
    // may already be dropping lines. (The report is logged, so it comes back here: state is settled.)
    if (!this.stalled && (this.inFlightBytes + this.queuedBytes) * 2 >= this.options.maxBufferBytes) this.checkStall();
    return true;
  }

  report(): ShipperReport {
    const bufferedLines = this.waiting();
    return {
      connected: this.connected,
      disconnects: this.disconnects,
      sent: this.sent,
      bufferedLines,
      bufferedBytes: this.inFlightBytes + this.queuedBytes,
      dropped: this.dropped,
      stalledForMs: bufferedLines > 0 ? Date.now() - this.lastProgress : 0,
    };
  }

  /**
   * Let what waits go out until `deadline` (epoch ms), then close. Returns the final count: what is
   * still buffered then could not be delivered, nor could what was dropped.
   */
  async close(deadline: number): Promise<ShipperReport> {
    this.closing = true;
    while (this.waiting() > 0 && Date.now() < deadline) await this.progressOr(deadline);
    const final = this.report();
    this.ended = true;
    clearInterval(this.watchdog);
    clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    if (socket && this.connected && final.bufferedLines === 0) {
      // A graceful FIN, so logstash sees the end of the stream rather than a reset.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.end();
      });
    }
    socket?.destroy();
    return final;
  }

  private waiting(): number {
    return this.inFlight.length + this.queue.length - this.head;
  }

  private connect(): void {
    const socket = net.createConnection({ host: this.options.host, port: this.options.port });
    this.socket = socket;
    socket.unref();
    socket.setNoDelay(true);
    let failure: Error | undefined;
    socket.on('connect', () => {
      this.connected = true;
      this.outage = false;
      this.delayMs = 0;
      this.pump();
    });
    socket.on('error', (error) => (failure = error));
    // logstash hung up: finish our side too, and the 'close' below reconnects.
    socket.on('end', () => socket.destroy());
    socket.on('close', () => this.closed(socket, failure ?? new Error('connection closed by logstash')));
  }

  private closed(socket: net.Socket, error: Error): void {
    if (socket !== this.socket) return;
    if (this.connected) this.disconnects++;
    this.connected = false;
    this.socket = undefined;
    // What the socket had not flushed may never have left: it goes again, first.
    const unsent = this.inFlight;
    this.inFlight = [];
    this.inFlightBytes = 0;
    this.queue = [...unsent, ...this.queue.slice(this.head)];
    this.head = 0;
    this.queuedBytes += unsent.reduce((bytes, line) => bytes + line.bytes, 0);
    this.trim();
    // While close() waits, the sink may still come back: keep trying until it gives up.
    if (this.ended) return;
    if (!this.outage) {
      this.outage = true;
      this.options.onUnreachable(error);
    }
    this.delayMs = this.delayMs === 0 ? BACKOFF_MS.first : Math.min(BACKOFF_MS.max, Math.round(this.delayMs * 1.6));
    this.reconnectTimer = setTimeout(() => this.connect(), this.delayMs);
    this.reconnectTimer.unref();
  }

  private send(line: Line): void {
    const socket = this.socket!;
    this.inFlight.push(line);
    this.inFlightBytes += line.bytes;
    socket.write(line.text, (error) => {
      // After a close these lines were already put back in the queue.
      if (error || socket !== this.socket) return;
      const done = this.inFlight.shift()!;
      this.inFlightBytes -= done.bytes;
      this.sent++;
      this.progress();
      this.pump();
    });
  }

  private enqueue(line: Line): void {
    this.queue.push(line);
    this.queuedBytes += line.bytes;
    this.trim();
  }

  /** Keep the buffer within its bound: the oldest queued lines go first, and are counted. */
  private trim(): void {
    while (this.inFlightBytes + this.queuedBytes > this.options.maxBufferBytes && this.head < this.queue.length) {
      this.queuedBytes -= this.queue[this.head]!.bytes;
      this.queue[this.head++] = undefined as unknown as Line;
      this.dropped++;
    }
    this.compact();
  }

  private pump(): void {
    while (this.connected && this.head < this.queue.length && this.inFlightBytes < SOCKET_WINDOW_BYTES) {
      const line = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as Line;
      this.queuedBytes -= line.bytes;
      this.send(line);
    }
    this.compact();
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private progress(): void {
    this.lastProgress = Date.now();
    for (const wake of this.progressWaiters) wake();
    this.progressWaiters.clear();
    if (this.stalled && this.waiting() === 0) {
      this.stalled = false;
      this.options.onRecover(this.report());
    }
  }

  /** Resolves on the next line sent, or after a short while (the state is then looked at again). */
  private progressOr(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.progressWaiters.delete(done);
        resolve();
      };
      // Held (not unref'd): a process with nothing else left to do must still wait for its flush.
      const timer = setTimeout(done, Math.max(0, Math.min(100, deadline - Date.now())));
      this.progressWaiters.add(done);
    });
  }

  private checkStall(): void {
    if (this.stalled || this.closing) return;
    if (this.waiting() === 0) {
      this.lastProgress = Date.now();
      return;
    }
    const report = this.report();
    // No progress for a while; or progress too slow to keep up: half the buffer used, drops next.
    const why = report.stalledForMs >= this.options.stallMs ? 'no progress' : report.bufferedBytes * 2 >= this.options.maxBufferBytes ? 'falling behind' : undefined;
    if (!why) return;
    this.stalled = true;
    this.options.onStall(report, why);
  }
}
