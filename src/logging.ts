/// <reference path="./types/pino-socket.d.ts" />
/**
 * pino setup shared by the test process and machine runners: a human-readable file, a JSON file,
 * and (when configured) logstash over TCP via pino-socket, one JSON object per line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger, type StreamEntry, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';
import tcpConnection from 'pino-socket/lib/TcpConnection.js';

export type { Logger };

export interface LogTarget {
  /** Directory for `<name>.log` (human) and `<name>.json.log` (JSON lines). */
  dir: string;
  name: string;
  level: pino.LevelWithSilent;
  /** Fields every line carries: env, mode, system_id, machine_id, machine_name... */
  bindings: Record<string, string>;
  logstash?: LogstashSink | undefined;
  /** The clock stamped on lines (a machine's own, possibly skewed); default the host's. */
  now?: () => number;
}

export interface LogstashSink {
  host: string;
  port: number;
  /** 'worker' (a pino transport, endable at any time) or 'inline' (bundle-friendly, for machine runners). */
  thread: 'worker' | 'inline';
}

export interface LogHandle {
  logger: Logger;
  files: { human: string; json: string };
  /** Flush files and the logstash connection. Safe to call twice. */
  close(): Promise<void>;
  /** The logstash connection as last seen (undefined when not shipping). */
  shipping(): ShippingStatus | undefined;
}

export interface ShippingStatus {
  connected: boolean;
  /** Times the connection was lost after being open. */
  disconnects: number;
}

/** Bytes kept for logstash while it is away (pino-socket's recovery queue); older lines are dropped first. */
export const LOGSTASH_RECOVERY_BYTES = 64 * 1024 * 1024;

export function createLogger(target: LogTarget): LogHandle {
  fs.mkdirSync(target.dir, { recursive: true });
  const files = { human: path.join(target.dir, `${target.name}.log`), json: path.join(target.dir, `${target.name}.json.log`) };
  const jsonFile = pino.destination({ dest: files.json, append: true, sync: true, mkdir: true });
  const humanFile = pino.destination({ dest: files.human, append: true, sync: true, mkdir: true });
  const streams: StreamEntry[] = [
    { level: 'trace', stream: jsonFile },
    { level: 'trace', stream: pretty({ destination: humanFile, colorize: false, sync: true, ignore: 'pid,hostname' }) },
  ];
  const multi = pino.multistream(streams);
  const now = target.now;
  const timestamp = now ? () => `,"time":${Math.round(now())}` : pino.stdTimeFunctions.epochTime;
  const logger = pino({ level: target.level, base: target.bindings, timestamp }, multi);
  const shipper = target.logstash ? attachLogstash(logger, multi, target.logstash) : undefined;
  let closed: Promise<void> | undefined;
  return {
    logger,
    files,
    close: () =>
      (closed ??= (async () => {
        logger.flush();
        await Promise.all([flushed(jsonFile), flushed(humanFile), shipper ? shipped(shipper.stream, shipper.status).then(() => ended(shipper.stream)) : undefined]);
      })()),
    shipping: () => (shipper ? { ...shipper.status } : undefined),
  };
}

/**
 * Ship to logstash with pino-socket: TCP, one JSON object per line, reconnecting with backoff and
 * keeping what it could not send in a recovery queue (LOGSTASH_RECOVERY_BYTES; the oldest lines go
 * first), so a sink that starts late or restarts loses nothing. In the test process it runs as a
 * pino transport in a worker thread, which close() can always end — a sink that never answers would
 * otherwise keep the process alive retrying. A machine runner (one bundled file, no worker entry
 * points to load) uses pino-socket's TCP writer in its own thread; it exits on a signal regardless.
 */
function attachLogstash(logger: Logger, multi: pino.MultiStreamRes, sink: LogstashSink): { stream: DestinationStream; status: ShippingStatus } {
  const options = {
    address: sink.host,
    port: sink.port,
    mode: 'tcp' as const,
    reconnect: true,
    recovery: true,
    recoveryQueueMaxSize: LOGSTASH_RECOVERY_BYTES,
    backoffStrategy: { name: 'fibonacci' as const, initialDelay: 100, maxDelay: 2000 },
  };
  const stream =
    sink.thread === 'worker'
      ? pino.transport({ target: 'pino-socket', options })
      : tcpConnection({ ...options, sourceStream: false });
  const status: ShippingStatus = { connected: false, disconnects: 0 };
  stream.on('open', () => (status.connected = true));
  stream.on('socketClose', () => {
    if (status.connected) status.disconnects++;
    status.connected = false;
  });
  let warned = false;
  stream.on('socketError', (error: Error) => {
    if (warned) return;
    warned = true;
    logger.warn({ logstash: `${sink.host}:${sink.port}`, err: error.message }, 'logstash unreachable or lost; buffering and reconnecting');
  });
  multi.add({ level: 'trace', stream });
  return { stream, status };
}

function flushed(stream: pino.DestinationStream & { flush?: (cb: (err?: Error) => void) => void }): Promise<void> {
  return new Promise((resolve) => (stream.flush ? stream.flush(() => resolve()) : resolve()));
}

/** A shipper between connections holds lines for logstash: give it a bounded while to reconnect and send them. */
function shipped(stream: DestinationStream, status: ShippingStatus, waitMs = 5000): Promise<void> {
  if (status.connected) return Promise.resolve();
  const events = stream as DestinationStream & NodeJS.EventEmitter;
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, waitMs);
    events.once('open', () => {
      clearTimeout(timer);
      // pino-socket replays its recovery queue right after 'open': let that go out first.
      setTimeout(resolve, 200);
    });
  });
}

/**
 * Let the shipper send what it holds, then close it — a bounded wait: a sink that never answers must
 * not hang the process, so after it the worker is terminated (or the socket destroyed).
 */
function ended(stream: DestinationStream, waitMs = 3000): Promise<void> {
  const s = stream as DestinationStream & NodeJS.WritableStream & { destroy?: () => void; worker?: { terminate(): Promise<number> } };
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if (s.worker) void s.worker.terminate();
      else s.destroy?.();
      resolve();
    }, waitMs);
    s.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    s.end();
  });
}
