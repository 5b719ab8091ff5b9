import { EVERY_MODE, inModes, test } from 'distzero/test';
import { fragileNode } from '../systems/testkit/system.ts';

/** Fails on purpose, in every mode: the test's own steps all succeed, but a node threw. */
inModes(EVERY_MODE, () => {
  test('a node that throws on a message fails the test', async ({ system }) => {
    const m = await system.createMachine('m');
    const fragile = await system.spawn(m, fragileNode, 'fragile', {});
    await system.send(fragile, { type: 'poison' });
    await system.pass(200);
  });
});
