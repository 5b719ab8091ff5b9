/**
 * The counter system, tested once and run in every mode: simulated (in-process, virtual time),
 * virtual (a Docker container per machine) and cloud (an EC2 instance per machine). `inModes` makes a
 * copy of each test per mode, tagged `@simulated`, `@virtual` or `@cloud`; each Playwright project
 * runs its own (`--project=simulated`). The `system` fixture is a fresh system of the project's mode,
 * removed when the test ends.
 */
import { EVERY_MODE, expect, inModes, test } from 'distzero/test';
import { counter } from '../systems/counter/system.ts';

test.describe('counter', () => {
  inModes(EVERY_MODE, () => {
    test('add and read answer with the running total', async ({ system }) => {
      const machine = await system.createMachine('solo');
      const node = await system.spawn(machine, counter, 'counter', {});
      // `call` is typed by the kind: the request's arguments and its reply.
      expect(await system.call(node, { type: 'add', amount: 2 })).toEqual({ total: 2 });
      expect(await system.call(node, { type: 'add', amount: 3 })).toEqual({ total: 5 });
      expect(await system.call(node, { type: 'read' })).toEqual({ total: 5 });
    });

    test('a counter tells its mirror on another machine', async ({ system }) => {
      const [a, b] = await system.createMachines(['a', 'b']);
      // The mirror first: the counter's config names it, with how to reach it (`refTo`).
      const mirror = await system.spawn(b!, counter, 'mirror', {});
      const origin = await system.spawn(a!, counter, 'origin', { mirror: system.refTo(mirror) });
      for (const amount of [1, 2, 3]) await system.call(origin, { type: 'add', amount });
      // The messages cross the network: wait until the mirror has them all (virtual time in simulation).
      await system.waitFor(async () => (await system.call(mirror, { type: 'read' })).total, { until: (total) => total === 6, timeoutMs: 10_000, what: 'the mirror reads 6' });
    });

    test('a request that breaks the schema is refused', async ({ system }) => {
      const node = await system.spawn(await system.createMachine('solo'), counter, 'counter', {});
      // @ts-expect-error -- the type checker refuses it too: `amount` is an integer.
      await expect(system.call(node, { type: 'add', amount: 'two' })).rejects.toThrow(/invalid request .* at amount/);
      expect(await system.call(node, { type: 'read' })).toEqual({ total: 0 });
    });
  });
});
