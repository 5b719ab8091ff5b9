import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { expect, test } from 'distzero/test';
import { childEnvironment } from 'distzero/tools';

const cli = 'node_modules/@playwright/test/cli.js';

test.describe('sweeps across machines', () => {
  test('two shards of a sweep merge into one report holding every seed', { tag: '@simulated' }, async ({}, testInfo) => {
    test.setTimeout(120_000);
    const blobs = testInfo.outputPath('blobs');
    for (const shard of ['1/2', '2/2']) {
      const run = spawnSync(process.execPath, [cli, 'test', '--project=simulated', '--grep', '@sweep', `--shard=${shard}`, '--reporter=blob', `--output=${testInfo.outputPath(`out-${shard.replace('/', '-')}`)}`], {
        // Each shard on "its own machine": a blob directory of its own, gathered afterwards as CI would.
        env: childEnvironment({ SWEEP_SEEDS: '40', SWEEP_FROM: '1000', PLAYWRIGHT_BLOB_OUTPUT_DIR: `${blobs}-${shard.replace('/', '-')}`, PLAYWRIGHT_BLOB_OUTPUT_NAME: `shard-${shard.replace('/', '-')}.zip` }),
        encoding: 'utf8',
      });
      expect(run.status, run.stdout + run.stderr).toBe(0);
      fs.mkdirSync(blobs, { recursive: true });
      for (const file of fs.readdirSync(`${blobs}-${shard.replace('/', '-')}`)) fs.copyFileSync(`${blobs}-${shard.replace('/', '-')}/${file}`, `${blobs}/${file}`);
    }
    expect(fs.readdirSync(blobs).sort()).toEqual(['shard-1-2.zip', 'shard-2-2.zip']);
    const merged = testInfo.outputPath('merged.json');
    const merge = spawnSync(process.execPath, [cli, 'merge-reports', '--reporter=json', blobs], {
      env: childEnvironment({ PLAYWRIGHT_JSON_OUTPUT_NAME: merged }),
      encoding: 'utf8',
    });
    expect(merge.status, merge.stdout + merge.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(merged, 'utf8')) as { stats: { expected: number; unexpected: number } };
    expect(report.stats).toMatchObject({ expected: 40, unexpected: 0 });
    const titles = JSON.stringify(report).match(/"title":"seed \d+"/g) ?? [];
    expect(new Set(titles).size).toBe(40);
  });
});
