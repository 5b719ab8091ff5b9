/**
 * pino setup shared by the test process and machine runners: a human-readable file, a JSON file,
 * and (when configured) logstash over TCP via pino-socket, one JSON object per line.
 */
import fs from 'node:fs';
import net from 'node:net';
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
  logstash?: { host: string; port: number } | undefined;
}

export interface LogHandle {
  logger: Logger;
  files: { human: string; json: string };
  /** Flush files and the logstash connection. Safe to call twice. */
  close(): Promise<void>;
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
  const logger = pino({ level: target.level, base: target.bindings, timestamp: pino.stdTimeFunctions.epochTime }, multi);
  let shipper: Promise<DestinationStream | undefined> = Promise.resolve(undefined);
  if (target.logstash) shipper = attachLogstash(logger, multi, target.logstash);
  let closed: Promise<void> | undefined;
  return {
    logger,
    files,
    close: () =>
      (closed ??= (async () => {
        const socket = await shipper;
        logger.flush();
        await Promise.all([flushed(jsonFile), flushed(humanFile), socket ? ended(socket) : undefined]);
      })()),
  };
}

/**
 * Ship to logstash with pino-socket's TCP writer, in this thread: it reconnects with backoff and
 * keeps what it could not send in a bounded recovery queue, so a sink restart loses nothing. A sink
 * that is unreachable at start would keep the process alive retrying forever, so probe it first:
 * unreachable, the run goes on with files only and says so once.
 */
async function attachLogstash(
  logger: Logger,
  multi: pino.MultiStreamRes,
  sink: { host: string; port: number },
): Promise<DestinationStream | undefined> {
  const reachable = await probe(sink.host, sink.port, 1500);
  if (!reachable) {
    logger.warn({ logstash: `${sink.host}:${sink.port}` }, 'logstash is unreachable; logs go to files only');
    return undefined;
  }
  const socket = tcpConnection({
    address: sink.host,
    port: sink.port,
    reconnect: true,
    recovery: true,
    recoveryQueueMaxSize: LOGSTASH_RECOVERY_BYTES,
    sourceStream: false,
    backoffStrategy: { name: 'fibonacci', initialDelay: 100, maxDelay: 2000 },
  });
  let warned = false;
  socket.on('socketError', (error: Error) => {
    if (warned) return;
    warned = true;
    logger.warn({ err: error.message }, 'logstash connection trouble; buffering and reconnecting');
  });
  multi.add({ level: 'trace', stream: socket });
  return socket;
}

function probe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function flushed(stream: pino.DestinationStream & { flush?: (cb: (err?: Error) => void) => void }): Promise<void> {
  return new Promise((resolve) => (stream.flush ? stream.flush(() => resolve()) : resolve()));
}

/** Let the socket drain what is written, then close it (a bounded wait: a dead sink must not hang exit). */
function ended(stream: DestinationStream): Promise<void> {
  const socket = stream as DestinationStream & NodeJS.WritableStream & { destroy(): void };
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve();
    }, 2000);
    socket.end(() => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
  });
}
