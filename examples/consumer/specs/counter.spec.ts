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

    test('a counter with a mirror on another machine answers once the mirror has the amount', async ({ system }) => {
      const [a, b] = await system.createMachines(['a', 'b']);
      // The mirror first: the counter's config names it, with how to reach it (`refTo`).
      const mirror = await system.spawn(b!, counter, 'mirror', {});
      const origin = await system.spawn(a!, counter, 'origin', { mirror: system.refTo(mirror) });
      for (const amount of [1, 2, 3]) await system.call(origin, { type: 'add', amount });
      expect(await system.call(mirror, { type: 'read' })).toEqual({ total: 6 });
    });

    test('through drops and duplicates, each add is answered once the mirror has it', async ({ system }) => {
      const [a, b] = await system.createMachines(['a', 'b']);
      const mirror = await system.spawn(b!, counter, 'mirror', {});
      const origin = await system.spawn(a!, counter, 'origin', { mirror: system.refTo(mirror) });
      // Faults are data: every link between machines now loses a third of its packets and
      // duplicates a tenth. The links resend until each message gets through, once. (A fault that
      // never fires fails the test: twenty adds make enough packets for both to.)
      await system.configureNetwork({ drop: 0.3, duplicate: 0.1 });
      const amounts = Array.from({ length: 20 }, (_, i) => i + 1);
      const replies = await Promise.all(amounts.map((amount) => system.call(origin, { type: 'add', amount })));
      // Each answer is the origin's total when its `applied` came back: the last one saw every add.
      expect(Math.max(...replies.map((reply) => reply.total))).toBe(210);
      expect(await system.call(mirror, { type: 'read' })).toEqual({ total: 210 });
    });

    test('a request that breaks the schema is refused', async ({ system }) => {
      const node = await system.spawn(await system.createMachine('solo'), counter, 'counter', {});
      // @ts-expect-error -- the type checker refuses it too: `amount` is an integer.
      await expect(system.call(node, { type: 'add', amount: 'two' })).rejects.toThrow(/invalid request "add" for node counter \(kind counter\) at amount/);
      expect(await system.call(node, { type: 'read' })).toEqual({ total: 0 });
    });
  });
});
