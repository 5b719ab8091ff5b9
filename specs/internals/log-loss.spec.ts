import systems from '../../distzero.config.ts';
import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { expect, test } from '../../fixtures/index.ts';
import { JsonLinesServer, SlowSink } from '../../fixtures/json-lines-server.ts';
import { createLogger } from '../../src/logging.ts';
import { settings } from '../../src/settings.ts';
import { DockerSpawner, STOP_GRACE_MS } from '../../src/spawners/docker/docker-spawner.ts';
import { dockerAvailable } from '../../src/spawners/docker/sweep.ts';
import { SystemController } from '../../src/system/system-controller.ts';
import { buildSumSystem, seedScenarioUsers, waitForTotals } from '../../systems/sum/scenario.ts';

type Line = Record<string, unknown> & { msg: string };
const readLines = (file: string): Line[] =>
  fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line)
    : [];

/** What this process writes to stderr while `run` runs (the shipper's console reports go there). */
async function capturingStderr<T>(run: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stderr += String(chunk);
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    return { result: await run(), stderr };
  } finally {
    process.stderr.write = write;
  }
}

test.describe('logs that say when they are lost', () => {
  test('a logstash that accepts and never reads is reported once, with what is buffered, and what it missed is counted at close', { tag: '@simulated' }, async ({}, testInfo) => {
    const sink = await SlowSink.start();
    const dir = testInfo.outputPath('logs');
    const json = path.join(dir, 'system.json.log');
    const stallMs = 500;
    const maxBufferBytes = 8 * 1024 * 1024;
    const { stderr } = await capturingStderr(async () => {
      const log = createLogger({ dir, name: 'system', level: 'info', bindings: { env: 'test' }, logstash: { host: '127.0.0.1', port: sink.port, stallMs, maxBufferBytes } });
      try {
        await expect.poll(() => log.shipping()?.connected).toBe(true);
        // Write until the kernel's buffers are full: lines wait, and nothing moves any more.
        const pad = 'x'.repeat(1000);
        const burst = (batch: number) => {
          for (let i = 0; i < 500; i++) log.logger.info({ batch, i, pad }, 'numbered line');
        };
        let batch = 0;
        for (let lastSent = -1; batch < 100; batch++) {
          burst(batch);
          await new Promise((resolve) => setTimeout(resolve, 50));
          const report = log.shipping()!;
          if (report.bufferedLines > 0 && report.sent === lastSent) break;
          lastSent = report.sent;
        }
        await expect.poll(() => readLines(json).filter((l) => l.msg.includes('stalled')).length, { timeout: 10_000 }).toBe(1);
        // Still stalled, now past the buffer's bound (the oldest lines are dropped): still said only once.
        while (log.shipping()!.dropped === 0 && batch < 300) burst(++batch);
        await new Promise((resolve) => setTimeout(resolve, stallMs * 3));
        expect(readLines(json).filter((l) => /stalled|falling behind/.test(l.msg)).length).toBe(1);
      } finally {
        await log.close({ deadline: Date.now() + 500 });
        await sink.stop();
      }
    });
    const lines = readLines(json);
    const stalled = lines.find((l) => l.msg.includes('stalled'))!;
    expect(stalled.msg).toMatch(/^logstash 127\.0\.0\.1:\d+ stalled: nothing delivered for [\d.]+ s \(connected, but it is not reading\); \d+ lines \([\d.]+ MiB\) buffered, \d+ dropped$/);
    expect(stalled).toMatchObject({ level: 40, connected: true });
    expect(Number(stalled.bufferedBytes)).toBeGreaterThan(0);
    expect(Number(stalled.bufferedBytes)).toBeLessThanOrEqual(maxBufferBytes);
    // The final line counts every line that did not reach the kernel: logged = sent + undelivered.
    const final = lines.at(-1)!;
    expect(final.msg).toMatch(/lines could not be delivered/);
    expect(Number(final.dropped)).toBeGreaterThan(0);
    expect(Number(final.sent) + Number(final.undelivered)).toBe(lines.length - 1);
    // The console heard both, once each.
    expect(stderr.split('\n').filter((l) => /^\[distzero\] logstash .* stalled: /.test(l))).toHaveLength(1);
    expect(stderr.split('\n').filter((l) => /^\[distzero\] logstash .* lines could not be delivered/.test(l))).toHaveLength(1);
    expect(sink.connections).toBe(1);
  });

  test('a logstash that reads too slowly to keep up is reported once as falling behind, then caught up; what it did read is every line sent', { tag: '@simulated' }, async ({}, testInfo) => {
    const sink = await SlowSink.start();
    const dir = testInfo.outputPath('logs');
    const json = path.join(dir, 'system.json.log');
    const maxBufferBytes = 2 * 1024 * 1024;
    const log = createLogger({ dir, name: 'system', level: 'info', bindings: { env: 'test' }, logstash: { host: '127.0.0.1', port: sink.port, stallMs: 30_000, maxBufferBytes } });
    try {
      await expect.poll(() => log.shipping()?.connected).toBe(true);
      sink.readSlowly();
      const pad = 'x'.repeat(1000);
      // More than the kernel's buffers and the shipper's together: it falls behind, then drops.
      for (let batch = 0; batch < 300 && log.shipping()!.dropped === 0; batch++) {
        for (let i = 0; i < 500; i++) log.logger.info({ batch, i, pad }, 'numbered line');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await expect.poll(() => readLines(json).filter((l) => l.msg.includes('falling behind')).length, { timeout: 10_000 }).toBe(1);
      const behind = readLines(json).find((l) => l.msg.includes('falling behind'))!;
      expect(behind.msg).toMatch(/^logstash 127\.0\.0\.1:\d+ is falling behind: half the 2\.0 MiB buffer used \(connected\); \d+ lines \([\d.]+ MiB\) buffered, \d+ dropped$/);
      expect(Number(behind.sent), 'it was delivering, slowly').toBeGreaterThan(0);
      expect(behind.dropped, 'said before the buffer overflowed').toBe(0);
      sink.readEverything();
      await expect.poll(() => readLines(json).filter((l) => l.msg.endsWith('caught up')).length, { timeout: 20_000 }).toBe(1);
    } finally {
      await log.close({ deadline: Date.now() + 5_000 });
    }
    const lines = readLines(json);
    const final = lines.at(-1)!;
    expect(final.msg).toMatch(/: \d+ lines could not be delivered \(0 still buffered at exit, \d+ dropped from a full buffer; \d+ sent\)$/);
    expect(Number(final.sent) + Number(final.dropped)).toBe(lines.length - 1);
    // What was handed to the kernel reached logstash: a graceful close loses nothing sent.
    await expect.poll(() => sink.lines).toBe(Number(final.sent));
    await sink.stop();
    expect(lines.filter((l) => /stalled|falling behind/.test(l.msg))).toHaveLength(1);
  });

  test('a logstash containers cannot reach is reported at start, and machines still stop cleanly (exit code 0)', { tag: '@virtual' }, async () => {
    const docker = await dockerAvailable();
    test.skip(!docker.ok, docker.ok ? '' : docker.reason);
    // On this host's loopback only: containers, which reach the host through its gateway, are refused.
    const sink = await JsonLinesServer.reserve('127.0.0.1');
    await sink.start();
    const warnings: Line[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void warnings.push(JSON.parse(line) as Line) });
    const spawner = new DockerSpawner({ logger, systems: { registry: systems, module: path.resolve('distzero.config.ts') }, settings: { ...settings, LOGSTASH_HOST: '127.0.0.1', LOGSTASH_PORT: sink.port } });
    let stopMs = 0;
    const { stderr } = await capturingStderr(async () => {
      try {
        const system = new SystemController(spawner, logger, 1);
        const sum = await buildSumSystem(system, seedScenarioUsers());
        await waitForTotals(system, sum.outputLeaves, 6, 30_000);
      } finally {
        const started = Date.now();
        await spawner.cleanUp();
        stopMs = Date.now() - started;
        await sink.stop();
      }
    });
    const advice = /logstash 127\.0\.0\.1:\d+ cannot be reached from containers: .* Fix: make it listen on all addresses/;
    expect(warnings.filter((l) => advice.test(l.msg))).toHaveLength(1);
    expect(stderr).toMatch(advice);
    // Every machine stopped by itself within the grace, its last log line counting what logstash missed.
    const exits = [...spawner.exitCodes()];
    expect(exits).toHaveLength(3);
    for (const [machineId, code] of exits) {
      expect(code, `exit code of ${machineId}`).toBe(0);
      const lines = readLines(path.join(spawner.logDir(machineId), 'output.json.log'));
      expect(lines.at(-1)?.msg, `last line of ${machineId}`).toMatch(/^logstash host\.docker\.internal:\d+: \d+ lines could not be delivered/);
    }
    expect(stopMs).toBeLessThan(STOP_GRACE_MS + 2_000);
    expect(warnings.filter((l) => /did not stop cleanly/.test(l.msg))).toEqual([]);
    expect(sink.records).toEqual([]);
  });
});
