import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { expect, test, type SystemController } from 'distzero/test';
import { runFaultCase, type FaultCase } from '../../systems/sum/fault-cases.ts';

/** 10-50 users, drop up to 20%, duplicates up to 10%, reordering, one partition that heals. */
const faultCase: fc.Arbitrary<FaultCase> = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  users: fc.integer({ min: 10, max: 50 }),
  increments: fc.integer({ min: 1, max: 3 }),
  network: fc.record({
    drop: fc.double({ min: 0, max: 0.2, noNaN: true }),
    duplicate: fc.double({ min: 0, max: 0.1, noNaN: true }),
    reorder: fc.double({ min: 0, max: 0.3, noNaN: true }),
  }),
  partition: fc.option(fc.record({ atMs: fc.integer({ min: 0, max: 100 }), forMs: fc.integer({ min: 1, max: 1000 }), cut: fc.integer({ min: 1, max: 49 }) }), {
    nil: null,
    freq: 5,
  }),
});

/** Search with fast-check; on failure return the shrunk case and how to replay it. */
async function search(newSystem: (o: { seed: number; quiet: true; brokenDedup: boolean }) => Promise<SystemController>, options: { seed: number; numRuns: number; brokenDedup?: boolean }) {
  const brokenDedup = options.brokenDedup ?? false;
  const property = fc.asyncProperty(faultCase, async (c) => (await runFaultCase(await newSystem({ seed: c.seed, quiet: true, brokenDedup }), c)).exact);
  const details = await fc.check(property, { seed: options.seed, numRuns: options.numRuns, endOnFailure: false });
  const counterexample = details.counterexample?.[0];
  const replay = counterexample ? `npx tsx scripts/replay-case.ts '${JSON.stringify(counterexample)}'${options.brokenDedup ? ' --broken-dedup' : ''}` : undefined;
  return { details, counterexample, replay };
}

test.describe('fault search', () => {
  test('1,000 generated fault schedules: every output exact', { tag: '@simulated' }, async ({ testSeed: seed, newSystem }, testInfo) => {
    test.setTimeout(120_000);
    const { details, counterexample, replay } = await search(newSystem, { seed, numRuns: 1000 });
    await testInfo.attach('search', { body: JSON.stringify({ fastCheckSeed: seed, numRuns: details.numRuns, counterexample, replay }, null, 2), contentType: 'application/json' });
    expect(details.numRuns).toBe(1000);
    expect(counterexample, `failing case (seed ${seed}, path ${details.counterexamplePath}); replay: ${replay}`).toBeUndefined();
  });

  test('a broken link layer (no duplicate suppression) is found and shrunk to a small case', { tag: '@simulated' }, async ({ testSeed: seed, newSystem }) => {
    test.setTimeout(120_000);
    const { details, counterexample, replay } = await search(newSystem, { seed, numRuns: 200, brokenDedup: true });
    expect(details.failed).toBe(true);
    console.log(`[distzero] broken variant found after ${details.numRuns} runs, shrunk ${details.numShrinks} times to ${JSON.stringify(counterexample)}\n  replay: ${replay}`);
    // Shrunk: the fewest users and increments the search allows, and at most a sliver of a partition.
    expect(counterexample!.users).toBe(10);
    expect(counterexample!.increments).toBe(1);
    expect(counterexample!.partition?.forMs ?? 0).toBeLessThanOrEqual(10);
    // The replay command reproduces the failure and its exact trace, twice over.
    const runReplay = () => {
      try {
        execFileSync(process.execPath, ['--import', 'tsx', 'scripts/replay-case.ts', JSON.stringify(counterexample), '--broken-dedup'], { encoding: 'utf8' });
        return { exact: true, digest: '' };
      } catch (error) {
        return JSON.parse(String((error as { stdout: string }).stdout).trim()) as { exact: boolean; digest: string };
      }
    };
    const first = runReplay();
    const second = runReplay();
    expect(first.exact).toBe(false);
    expect(second.digest).toBe(first.digest);
    expect(replay).toContain('scripts/replay-case.ts');
  });

  test('replaying a case reproduces its trace exactly, and the fixed link layer makes it exact', { tag: '@simulated' }, async ({ newSystem }) => {
    const c: FaultCase = { seed: 99, users: 12, increments: 2, network: { drop: 0.2, duplicate: 0.1, reorder: 0.3 }, partition: { atMs: 20, forMs: 300, cut: 4 } };
    const run = async (k: FaultCase) => runFaultCase(await newSystem({ seed: k.seed }), k);
    const a = await run(c);
    const b = await run(c);
    expect(b.digest).toBe(a.digest);
    expect(a.exact).toBe(true);
    expect((await run({ ...c, seed: 100 })).digest).not.toBe(a.digest);
  });
});
