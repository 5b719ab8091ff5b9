import { pino } from 'pino';
import { execFileSync } from 'node:child_process';
import { expect, test } from '../fixtures/index.ts';
import { SimulatedSpawner } from '../src/spawners/simulated/simulated-spawner.ts';
import { SystemController } from '../src/system/system-controller.ts';
import { buildSumSystem, manyUsers } from '../src/system/sum-scenario.ts';

/** Run the ten-user sum system on `seed` to completion; return its trace digest and what it saw. */
async function run(seed: number) {
  const logger = pino({ level: 'silent' });
  const spawner = new SimulatedSpawner({ seed, logger });
  const system = new SystemController(spawner, logger);
  const sum = await buildSumSystem(system, manyUsers(10));
  await system.waitForTotals(sum.outputLeaves, sum.expectedTotal, 60_000);
  spawner.sim.runFor(5_000); // let the last acknowledgements settle so the whole run is compared
  return {
    digest: spawner.sim.trace.digest(),
    events: spawner.sim.trace.count,
    ids: [...sum.inputLeaves, ...sum.outputLeaves].map((h) => h.id),
    totals: await system.totals(sum.outputLeaves),
    expected: sum.expectedTotal,
  };
}

test.describe('determinism', () => {
  test('the same seed gives the same run, message for message, ids included', { tag: '@simulated' }, async ({ seed }) => {
    const first = await run(seed);
    const second = await run(seed);
    expect(second.digest).toBe(first.digest);
    expect(second.events).toBe(first.events);
    expect(second.ids).toEqual(first.ids);
    expect(first.events).toBeGreaterThan(100);
  });

  test('a different seed gives different delays and the same sums', { tag: '@simulated' }, async ({ seed }) => {
    const a = await run(seed);
    const b = await run(seed + 1);
    expect(b.digest).not.toBe(a.digest);
    expect(a.totals).toEqual(a.totals.map(() => a.expected));
    expect(b.totals).toEqual(a.totals);
  });

  test('a separate process with the same seed produces the identical trace digest', { tag: '@simulated' }, async ({ seed }) => {
    const here = await run(seed);
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/sim-digest.ts', String(seed)], { encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ seed, digest: here.digest, events: here.events });
  });
});
