/**
 * pino setup shared by the test process and machine runners: a human-readable file, a JSON file,
 * and (when configured) logstash over TCP, one JSON object per line (see log-shipper.ts). A sink
 * that stalls is reported once, on the console and in the log, with what is buffered; at close,
 * what could not be delivered is counted in a final line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger, type StreamEntry } from 'pino';
import pretty from 'pino-pretty';
import { LogShipper, type ShipperReport } from './log-shipper.ts';

export type { Logger, ShipperReport };

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
  /** Lines waiting with no progress this long: the sink is reported stalled (LOGSTASH_STALL_MS). */
  stallMs: number;
  /** Bytes held while logstash is away or slow; default LOGSTASH_BUFFER_BYTES. */
  maxBufferBytes?: number;
}

export interface LogHandle {
  logger: Logger;
  files: { human: string; json: string };
  /**
   * Let logstash take what waits until `deadline` (epoch ms; default 5 s from now), count what it
   * could not, flush the files. Safe to call twice.
   */
  close(options?: { deadline?: number }): Promise<void>;
  /** The logstash connection as last seen (undefined when not shipping). */
  shipping(): ShipperReport | undefined;
}

/** Where a logger keeps its virtual clock (see withVirtualClock); children inherit it with the rest of the logger. */
const VIRTUAL_CLOCK = Symbol('distzero.virtualClock');
type Clocked = Logger & { [VIRTUAL_CLOCK]?: () => number };

/**
 * A child of `logger` whose lines, and its own children's, carry `virtual_ms`: a simulated system's
 * time, which a reader matches against its trace and its history, where `time` is the host's wall
 * clock, which in a simulation races through a run in a few milliseconds.
 */
export function withVirtualClock(logger: Logger, now: () => number): Logger {
  const child: Clocked = logger.child({});
  child[VIRTUAL_CLOCK] = now;
  return child;
}

/** pino's mixin: called for every line with the logger that wrote it. */
const virtualTime = (_fields: object, _level: number, logger: Logger): object => {
  const now = (logger as Clocked)[VIRTUAL_CLOCK];
  return now ? { virtual_ms: Math.round(now() * 1000) / 1000 } : {};
};

/** Bytes kept for logstash while it is away or slow; beyond it the oldest lines are dropped and counted. */
export const LOGSTASH_BUFFER_BYTES = 64 * 1024 * 1024;
/** How long close() lets a shipper catch up when the caller gives no deadline. */
const DEFAULT_CLOSE_MS = 5_000;

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
  const logger = pino({ level: target.level, base: target.bindings, timestamp, mixin: virtualTime }, multi);
  const shipper = target.logstash ? attachLogstash(logger, multi, target.logstash) : undefined;
  let closed: Promise<void> | undefined;
  return {
    logger,
    files,
    close: (options = {}) =>
      (closed ??= (async () => {
        if (shipper) {
          const final = await shipper.close(options.deadline ?? Date.now() + DEFAULT_CLOSE_MS);
          reportUndelivered(logger, sinkName(target.logstash!), final);
        }
        logger.flush();
        await Promise.all([flushed(jsonFile), flushed(humanFile)]);
      })()),
    shipping: () => shipper?.report(),
  };
}

const sinkName = (sink: LogstashSink) => `${sink.host}:${sink.port}`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Stderr, not the logger: the console is where a person watching the run sees it. */
const toConsole = (line: string) => process.stderr.write(`[distzero] ${line}\n`);

/**
 * Ship to logstash (log-shipper.ts): reconnecting with backoff, holding up to LOGSTASH_BUFFER_BYTES
 * while it is away or slow, so a sink that starts late or restarts loses nothing. Whatever goes
 * wrong is said once: unreachable (in the log), stalled (in the log and on the console, with what
 * is buffered), and caught up again.
 */
function attachLogstash(logger: Logger, multi: pino.MultiStreamRes, sink: LogstashSink): LogShipper {
  const name = sinkName(sink);
  const shipper = new LogShipper({
    host: sink.host,
    port: sink.port,
    maxBufferBytes: sink.maxBufferBytes ?? LOGSTASH_BUFFER_BYTES,
    stallMs: sink.stallMs,
    onUnreachable: (error) => logger.warn({ logstash: name, err: error.message }, 'logstash unreachable or lost; buffering and reconnecting'),
    onStall: (report, why) => {
      const state = report.connected ? 'connected, but it is not reading' : 'not connected';
      const what =
        why === 'no progress'
          ? `stalled: nothing delivered for ${(report.stalledForMs / 1000).toFixed(1)} s (${state})`
          : `is falling behind: half the ${mib(sink.maxBufferBytes ?? LOGSTASH_BUFFER_BYTES)} buffer used (${report.connected ? 'connected' : 'not connected'})`;
      const message = `logstash ${name} ${what}; ${report.bufferedLines} lines (${mib(report.bufferedBytes)}) buffered, ${report.dropped} dropped`;
      toConsole(message);
      logger.warn({ logstash: name, ...report }, message);
    },
    onRecover: (report) => logger.info({ logstash: name, ...report }, `logstash ${name} caught up`),
  });
  multi.add({ level: 'trace', stream: shipper });
  return shipper;
}

/** The final line: how many lines never reached logstash, and why. */
function reportUndelivered(logger: Logger, name: string, final: ShipperReport): void {
  const undelivered = final.bufferedLines + final.dropped;
  if (undelivered === 0) {
    logger.debug({ logstash: name, sent: final.sent }, `logstash ${name}: every line delivered`);
    return;
  }
  const message = `logstash ${name}: ${undelivered} lines could not be delivered (${final.bufferedLines} still buffered at exit, ${final.dropped} dropped from a full buffer; ${final.sent} sent)`;
  toConsole(message);
  logger.warn({ logstash: name, undelivered, ...final }, message);
}

function flushed(stream: pino.DestinationStream & { flush?: (cb: (err?: Error) => void) => void }): Promise<void> {
  return new Promise((resolve) => (stream.flush ? stream.flush(() => resolve()) : resolve()));
}
