/**
 * What a sweep of the seed scenario costs (two users, three machines, every output leaf reaching 6):
 *   node --import tsx bench/sweep.ts playwright <seeds> <plain|check>
 *     a real nested `npx playwright test` of specs/sum/sweep-seed-scenario.spec.ts with one worker,
 *     its whole process timed (start, collection, worker, fixtures, reporters); `check` turns the
 *     determinism check on (CHECK_DETERMINISM=1: every batch twice, traces compared per seed).
 *   node --import tsx bench/sweep.ts serialize <seeds> <users>
 *     in this process, through distzero/sim: the seed scenario for <seeds> seeds, and the sum of
 *     <users> users once, each plain and with serialize: true, alternating.
 * Prints one JSON line.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { childEnvironment } from 'distzero/tools';

const [kind = 'playwright', sizeArg = '200', variant = 'plain'] = process.argv.slice(2);
const size = Number(sizeArg);

interface JsonReport {
  stats: { expected: number; unexpected: number; flaky: number; skipped: number };
  suites: JsonSuite[];
}
interface JsonSuite {
  specs: { tests: { annotations: { type: string; description?: string }[]; results: { duration: number }[] }[] }[];
  suites?: JsonSuite[];
}

/**
 * Over every run of every batch: the seeds the batches say they ran (their `seeds run` annotations),
 * and the time Playwright gives the tests themselves (fixtures included, process starts not).
 */
function batches(suites: readonly JsonSuite[]): { seedRuns: number; testMs: number } {
  const total = { seedRuns: 0, testMs: 0 };
  for (const suite of suites) {
    for (const test of suite.specs.flatMap((s) => s.tests)) {
      total.seedRuns += Number(/^\d+/.exec(test.annotations.find((a) => a.type === 'seeds run')?.description ?? '0')![0]);
      total.testMs += test.results.reduce((ms, r) => ms + r.duration, 0);
    }
    const inner = batches(suite.suites ?? []);
    total.seedRuns += inner.seedRuns;
    total.testMs += inner.testMs;
  }
  return total;
}

if (kind === 'playwright') {
  // A directory of this process's own: the suite's smoke test may run the bench beside yours.
  const dir = path.resolve('.tmp', `bench-sweep-${process.pid}`);
  const report = path.join(dir, `${variant}.json`);
  const check = variant === 'check';
  // The spec file is named so that the run loads that file alone: the suite's other files are the
  // suite's cost, not the sweep's. Nothing of the outer run leaks in (planted bugs, serialization).
  const args = ['node_modules/@playwright/test/cli.js', 'test', 'specs/sum/sweep-seed-scenario.spec.ts', '--project=simulated', '--grep', '@seed-sweep', '--workers=1', '--reporter=json', `--output=${path.join(dir, 'out')}`];
  const env = childEnvironment({ SWEEP_SEEDS: String(size), SWEEP_FROM: '1', SWEEP_PLANTED_BUG: '0', SIM_SERIALIZE: '0', CHECK_DETERMINISM: check ? '1' : '0', PLAYWRIGHT_JSON_OUTPUT_NAME: report });
  const wall0 = performance.now();
  const run = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const wallMs = performance.now() - wall0;
  if (run.status !== 0) throw new Error(`the nested sweep failed (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  const json = JSON.parse(fs.readFileSync(report, 'utf8')) as JsonReport;
  fs.rmSync(dir, { recursive: true, force: true });
  const { seedRuns, testMs } = batches(json.suites);
  const runs = check ? 2 : 1;
  if (seedRuns !== size * runs || json.stats.unexpected > 0) throw new Error(`the nested sweep ran ${seedRuns} seed runs, expected ${size * runs}`);
  console.log(
    JSON.stringify({
      kind,
      variant,
      seeds: size,
      workers: 1,
      tests: json.stats.expected,
      seedRuns,
      wallMs: Math.round(wallMs),
      testMs: Math.round(testMs),
      seedsPerMinute: Math.round(size / (wallMs / 60_000)),
    }),
  );
} else if (kind === 'serialize') {
  // Loaded here only: the other measurement's process should start as quickly as it can.
  const [{ simulate }, { default: systems }, { buildSumSystem, seedScenarioUsers, waitForTotals }, { runManyUsers }] = await Promise.all([
    import('distzero/sim'),
    import('../distzero.config.ts'),
    import('../systems/sum/scenario.ts'),
    import('./many-users.ts'),
  ]);
  const users = Number(variant);
  const seedScenario = async (serialize: boolean) => {
    for (let seed = 1; seed <= size; seed++) {
      const system = simulate({ seed, systems, serialize });
      const sum = await buildSumSystem(system, seedScenarioUsers());
      await waitForTotals(system, sum.outputLeaves, 6, 10_000);
      await system.close();
    }
  };
  // The 1,000-user row of the table (npm run bench).
  const manyUserSum = (serialize: boolean) => runManyUsers(users, 'none', { serialize });
  const timed = async (work: () => Promise<void>) => {
    const t0 = performance.now();
    await work();
    return performance.now() - t0;
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  // Warm both paths first (the first runs compile them), then alternate, so a burst of load on a
  // shared machine falls on both; the median of each.
  await seedScenario(false);
  await seedScenario(true);
  const rounds = 3;
  const times = { seeds: { plain: [] as number[], serialize: [] as number[] }, users: { plain: [] as number[], serialize: [] as number[] } };
  for (let round = 0; round < rounds; round++) {
    times.seeds.plain.push(await timed(() => seedScenario(false)));
    times.seeds.serialize.push(await timed(() => seedScenario(true)));
    times.users.plain.push(await timed(() => manyUserSum(false)));
    times.users.serialize.push(await timed(() => manyUserSum(true)));
  }
  const row = (t: { plain: number[]; serialize: number[] }) => ({ plainMs: Math.round(median(t.plain)), serializeMs: Math.round(median(t.serialize)), ratio: +(median(t.serialize) / median(t.plain)).toFixed(2) });
  console.log(JSON.stringify({ kind, rounds, seedScenario: { seeds: size, ...row(times.seeds) }, sum: { users, ...row(times.users) } }));
} else {
  throw new Error(`unknown measurement ${kind}: playwright or serialize`);
}
