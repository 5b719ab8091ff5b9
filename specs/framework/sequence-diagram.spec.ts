/**
 * A stretch of a simulated run drawn as a sequence diagram (`system.sequenceDiagram({ from, to })`):
 * what a test attaches for a history's violation, which may lie long before the run's end.
 */
import { expect, test, type SystemController } from 'distzero/test';
import { settings } from 'distzero/tools';
import { buildSumSystem, manyUsers, waitForTotals } from '../../systems/sum/scenario.ts';

/** Thirty users adding ten times each, 25 ms apart: a run of a few thousand events over about 300 virtual ms. */
async function run(system: SystemController) {
  const sum = await buildSumSystem(system, manyUsers(30, 10, 25));
  await waitForTotals(system, sum.outputLeaves, sum.expectedTotal, 10_000);
}

/** The virtual times of a diagram's rows. */
const rowTimes = (svg: string) => [...svg.matchAll(/fill="#777">([\d.]+) ms<\/text>/g)].map((m) => Number(m[1]));

test.describe('sequence diagram of a stretch', () => {
  test('a system that keeps its whole trace draws any stretch of its run, and only that stretch', { tag: '@simulated' }, async ({ newSystem }) => {
    const system = await newSystem({ traceEvents: Number.POSITIVE_INFINITY });
    await run(system);
    const svg = system.sequenceDiagram({ from: 100, to: 102 })!;
    const times = rowTimes(svg);
    expect(times.length).toBeGreaterThan(10);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...times)).toBeLessThanOrEqual(102);
    expect(times.length).toBeLessThan(400);
    expect(svg).toContain(`${times.length} messages from 100.0 to 102.0 virtual ms<`);
  });

  test('with the default trace, a stretch before what it kept says so', { tag: '@simulated' }, async ({ system }) => {
    test.skip(settings.CHECK_DETERMINISM, 'the determinism check keeps every event of a run: nothing is cut');
    await run(system);
    const svg = system.sequenceDiagram({ from: 10, to: 30 })!;
    expect(svg).toMatch(/the trace holds only what happened from [\d.]+ ms on \(keep more with traceEvents\)/);
    // The default diagram is the run's end.
    expect(rowTimes(system.sequenceDiagram()!).at(-1)).toBeGreaterThan(200);
  });
});
