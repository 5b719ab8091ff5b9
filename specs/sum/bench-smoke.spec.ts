import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { expect, test } from 'distzero/test';
import { buildSumSystem, manyUsers, waitForTotals } from '../../systems/sum/scenario.ts';

test.describe('speed', () => {
  test('the quick benchmark runs and every simulated run in it is exact', { tag: '@simulated' }, async ({}, testInfo) => {
    test.setTimeout(120_000);
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick'], { encoding: 'utf8' });
    await testInfo.attach('bench', { body: out, contentType: 'text/plain' });
    const results = JSON.parse(fs.readFileSync('bench-results.json', 'utf8')) as {
      simulated: { exact: boolean; delivered: number }[];
      warm: { exact: boolean; delivered: number; warmRuns: number }[];
      scaling: { ratio: number };
      idle: { bytesPerIdleNode: number };
      sweep: {
        seedSweep: { seeds: number; workers: number; seedsPerMinutePerCore: number; runs: { seedRuns: number }[] };
        determinism: { skipped?: string };
        serialize: { seedScenario: { ratio: number }; sum: { ratio: number } };
      };
    };
    expect(results.simulated).toHaveLength(4);
    expect(results.simulated.every((row) => row.exact && row.delivered > 0)).toBe(true);
    expect(results.warm).toMatchObject([{ exact: true, warmRuns: 4 }]);
    expect(results.warm[0]!.delivered).toBeGreaterThan(0);
    expect(results.scaling.ratio).toBeGreaterThan(0);
    expect(results.idle.bytesPerIdleNode).toBeGreaterThan(0);
    expect(out).toContain('delivered/s=');
    // The sweep rows: a nested Playwright run that ran every seed, and the serialize ratios.
    expect(results.sweep.seedSweep).toMatchObject({ seeds: 200, workers: 1, runs: [{ seedRuns: 200 }] });
    expect(results.sweep.seedSweep.seedsPerMinutePerCore).toBeGreaterThan(0);
    expect(results.sweep.determinism).toEqual({ skipped: '--quick' });
    expect(results.sweep.serialize.seedScenario.ratio).toBeGreaterThan(0);
    expect(results.sweep.serialize.sum.ratio).toBeGreaterThan(0);
    expect(out).toMatch(/seeds\/min\/core=\d+/);
    expect(out).toMatch(/SIM_SERIALIZE.*cost=[\d.]+x/);
  });

  test('with SIM_SERIALIZE on, every packet survives a JSON round trip and validation', { tag: '@simulated' }, async ({ newSystem }) => {
    const system = await newSystem({ serialize: true });
    await system.configureNetwork({ drop: 0.1, duplicate: 0.05 });
    const sum = await buildSumSystem(system, manyUsers(10), { flushMs: 5 });
    await waitForTotals(system, sum.outputLeaves, sum.expectedTotal, 60_000);
  });
});
