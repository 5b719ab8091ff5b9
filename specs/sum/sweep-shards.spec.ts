import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { expect, test } from 'distzero/test';
import { childEnvironment } from 'distzero/tools';
import { readSweepReport } from './sweep-report.ts';

const cli = 'node_modules/@playwright/test/cli.js';

test.describe('sweeps across machines', () => {
  test('two shards of a sweep merge into one small report holding every seed', { tag: '@simulated' }, async ({}, testInfo) => {
    test.setTimeout(120_000);
    const blobs = testInfo.outputPath('blobs');
    for (const shard of ['1/2', '2/2']) {
      const name = shard.replace('/', '-');
      const run = spawnSync(process.execPath, [cli, 'test', '--project=simulated', '--grep', '@sweep', `--shard=${shard}`, '--reporter=blob', `--output=${testInfo.outputPath(`out-${name}`)}`], {
        // Each shard on "its own machine": a blob directory of its own, gathered afterwards as CI would.
        // Batches of 10: four tests, two per shard.
        env: childEnvironment({ SWEEP_SEEDS: '40', SWEEP_FROM: '1000', SWEEP_BATCH: '10', PLAYWRIGHT_BLOB_OUTPUT_DIR: `${blobs}-${name}`, PLAYWRIGHT_BLOB_OUTPUT_NAME: `shard-${name}.zip` }),
        encoding: 'utf8',
      });
      expect(run.status, run.stdout + run.stderr).toBe(0);
      fs.mkdirSync(blobs, { recursive: true });
      for (const file of fs.readdirSync(`${blobs}-${name}`)) fs.copyFileSync(`${blobs}-${name}/${file}`, `${blobs}/${file}`);
    }
    expect(fs.readdirSync(blobs).sort()).toEqual(['shard-1-2.zip', 'shard-2-2.zip']);
    const merged = testInfo.outputPath('merged.json');
    const merge = spawnSync(process.execPath, [cli, 'merge-reports', '--reporter=json', blobs], {
      env: childEnvironment({ PLAYWRIGHT_JSON_OUTPUT_NAME: merged }),
      encoding: 'utf8',
    });
    expect(merge.status, merge.stdout + merge.stderr).toBe(0);
    const stats = (JSON.parse(fs.readFileSync(merged, 'utf8')) as { stats: { expected: number; unexpected: number } }).stats;
    expect(stats).toMatchObject({ expected: 4, unexpected: 0 });
    const { batches, seeds } = readSweepReport(merged);
    expect(batches.map((b) => b.title).sort()).toEqual(['seeds 1000–1009', 'seeds 1010–1019', 'seeds 1020–1029', 'seeds 1030–1039'].sort());
    for (const batch of batches) {
      expect(batch.ran, batch.title).toBe(10);
      // Passing seeds leave nothing behind: the report stays a few tests, whatever the seed count.
      expect(batch.attachments, batch.title).toEqual([]);
    }
    expect([...seeds.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => 1000 + i));
    expect([...seeds.values()].every((o) => o.status === 'passed')).toBe(true);
  });
});
