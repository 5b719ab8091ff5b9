import { expect, test } from 'distzero/test';
import { InputLeafNode } from '../systems/sum/nodes.ts';
import { buildSumSystem, manyUsers, waitForTotals } from '../systems/sum/scenario.ts';

test('a clean run is the same run twice', async ({ system }) => {
  const sum = await buildSumSystem(system, manyUsers(5));
  await waitForTotals(system, sum.outputLeaves, sum.expectedTotal, 10_000);
});

test('a node that consults Math.random is caught', async ({ system }) => {
  // The planted leak: input leaves shift their playback by an unseeded random amount.
  const original = InputLeafNode.prototype.initialize;
  InputLeafNode.prototype.initialize = function (this: InputLeafNode) {
    original.call(this);
    (this as unknown as { state: { startedAt: number } }).state.startedAt += Math.random() * 20;
  };
  try {
    const sum = await buildSumSystem(system, manyUsers(5));
    await waitForTotals(system, sum.outputLeaves, sum.expectedTotal, 10_000);
    expect(sum.expectedTotal).toBeGreaterThan(0);
  } finally {
    InputLeafNode.prototype.initialize = original;
  }
});
