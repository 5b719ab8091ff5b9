import systems from '../../distzero.config.ts';
import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { expect, test } from '../../fixtures/index.ts';
import { JsonLinesServer, type LogRecord } from '../../fixtures/json-lines-server.ts';
import { createLogger } from '../../src/logging.ts';
import { settings } from '../../src/settings.ts';
import { DockerSpawner } from '../../src/spawners/docker/docker-spawner.ts';
import { dockerAvailable } from '../../src/spawners/docker/sweep.ts';
import { SimulatedSpawner } from '../../src/spawners/simulated/simulated-spawner.ts';
import { buildSumSystem, seedScenarioUsers, waitForTotals } from '../../systems/sum/scenario.ts';
import { SystemController } from '../../src/system/system-controller.ts';

const CONTEXT_FIELDS = ['time', 'level', 'msg', 'env', 'mode', 'system_id', 'machine_id', 'machine_name'] as const;

function fileContains(file: string, text: string): boolean {
  return fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes(text);
}

test.describe('log shipping', () => {
  test('a simulated run ships every record, with its context, across a late start and a restart of logstash', { tag: '@simulated' }, async ({ testSeed: seed }, testInfo) => {
    const sink = await JsonLinesServer.reserve();
    const dir = testInfo.outputPath('logs');
    const log = createLogger({ dir, name: 'system', level: 'info', bindings: { env: 'test' }, logstash: { host: '127.0.0.1', port: sink.port, stallMs: 10_000 } });
    try {
      const run = async (round: string) => {
        const logger = log.logger.child({ round });
        const spawner = new SimulatedSpawner({ seed, logger, systems: { registry: systems, module: '' } });
        const system = new SystemController(spawner, logger.child({ mode: 'simulated', system_id: spawner.systemId }), seed);
        const sum = await buildSumSystem(system, seedScenarioUsers());
        await waitForTotals(system, sum.outputLeaves, 6, 10_000);
        for (let i = 0; i < 20; i++) logger.info({ seq: `${round}-${i}` }, 'numbered line');
      };
      // Late start: lines are logged while nothing listens; the shipper says so once and keeps them.
      await run('before-start');
      await expect.poll(() => fileContains(path.join(dir, 'system.json.log'), 'logstash unreachable'), { timeout: 10_000 }).toBe(true);
      await sink.start();
      await expect.poll(() => sink.records.filter((r) => String(r.seq).startsWith('before-start')).length, { timeout: 15_000 }).toBe(20);
      // Restart mid-run: stop; once the shipper has seen the connection go, log; start again; log again.
      // (Lines in flight at the very instant a sink dies can be lost: TCP gives json_lines no acks.)
      await sink.stop();
      await expect.poll(() => log.shipping()?.disconnects, { timeout: 10_000 }).toBe(1);
      await run('during-restart');
      await sink.start();
      await run('after-restart');
    } finally {
      await log.close();
      await sink.stop();
    }
    const seqs = new Set(sink.records.map((r) => r.seq).filter(Boolean));
    for (const round of ['before-start', 'during-restart', 'after-restart']) {
      for (let i = 0; i < 20; i++) expect(seqs.has(`${round}-${i}`), `line ${round}-${i} reached logstash`).toBe(true);
    }
    expect(sink.malformed).toEqual([]);
    // The machines' own records carry the whole context, node id included.
    const started = sink.records.filter((r) => r.msg === 'node started');
    expect(started.length).toBe(3 * 7);
    for (const record of started) {
      for (const field of [...CONTEXT_FIELDS, 'node_id']) expect(record, `field ${field}`).toHaveProperty(field);
      expect(record.mode).toBe('simulated');
      expect(typeof record.time).toBe('number');
    }
  });

  test('a virtual run ships every machine\'s records from inside its container', { tag: '@virtual' }, async () => {
    const docker = await dockerAvailable();
    test.skip(!docker.ok, docker.ok ? '' : docker.reason);
    // Containers reach this host through the host gateway: listen beyond loopback.
    const sink = await JsonLinesServer.reserve('0.0.0.0');
    await sink.start();
    const logger = pino({ level: 'silent' });
    const spawner = new DockerSpawner({ logger, systems: { registry: systems, module: path.resolve('distzero.config.ts') }, settings: { ...settings, LOGSTASH_HOST: '127.0.0.1', LOGSTASH_PORT: sink.port } });
    try {
      const system = new SystemController(spawner, logger, 1);
      const sum = await buildSumSystem(system, seedScenarioUsers());
      await waitForTotals(system, sum.outputLeaves, 6, 30_000);
      const names = new Set(['hub', 'user-b', 'user-c']);
      await expect
        .poll(() => new Set(sink.records.filter((r: LogRecord) => r.msg === 'node started').map((r) => r.machine_name)), { timeout: 15_000 })
        .toEqual(names);
      const fromMachines = sink.records.filter((r) => r.system_id === spawner.systemId);
      for (const record of fromMachines.filter((r) => r.msg === 'node started')) {
        for (const field of [...CONTEXT_FIELDS, 'node_id']) expect(record, `field ${field}`).toHaveProperty(field);
        expect(record.mode).toBe('virtual');
      }
    } finally {
      await spawner.cleanUp();
      await sink.stop();
    }
  });
});
