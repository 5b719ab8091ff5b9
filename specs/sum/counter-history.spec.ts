/**
 * The sum system's input as a counter, judged by its clients' history: clients add to it while
 * others read it, over a lossy network; every call is recorded and Jepsen's counter checker bounds
 * each read (at least what was acknowledged before it began, at most what was attempted before it
 * ended). The outputs are eventually consistent, not a counter: they are checked for their final
 * total once the clients are done.
 */
import { checkCounter } from 'distzero/checkers';
import { EVERY_MODE, expect, inModes, test } from 'distzero/test';
import { RecordedUser, buildSumSystem, inc, totalOf, waitForTotals } from '../../systems/sum/scenario.ts';

test.describe('sum history', () => {
  inModes(EVERY_MODE, () => {
    test("the input's total is a counter: every read within its bounds, every output exact at the end", async ({ system }) => {
      // One user whose only action comes an hour later: the clients' increments are the whole count.
      const sum = await buildSumSystem(system, [new RecordedUser('idle', [[3_600_000, inc(1)]])]);
      await system.configureNetwork({ drop: 0.2, duplicate: 0.2 });
      const adder = async (process: number) => {
        for (let i = 0; i < 6; i++) {
          const amount = 1 + system.random.int(5);
          await system.history.record(process, { op: 'add', args: amount }, () => system.send(sum.input, { type: 'increment', amount }));
        }
      };
      const reader = async (process: number) => {
        for (let i = 0; i < 6; i++) await system.history.record(process, { op: 'read', args: null }, () => totalOf(system, sum.input));
      };
      await Promise.all([adder(0), adder(1), reader(2), reader(3)]);
      const history = system.history.history();
      const result = checkCounter(history);
      expect(result.valid, JSON.stringify(result.errors)).toBe(true);
      expect(result.reads).toBe(12);
      const total = history.reduce((t, op) => (op.op === 'add' && op.outcome.type === 'ok' && typeof op.args === 'number' ? t + op.args : t), 0);
      await waitForTotals(system, sum.outputLeaves, total, 30_000);
    });
  });
});
