/**
 * The raw channel (`Node.sendRaw`): datagrams outside the reliable links. Each copy the network
 * delivers reaches the node once (a duplicate twice), a lost one never; nothing is resent.
 */
import { EVERY_MODE, expect, inModes, test, type Handle, type SystemController } from 'distzero/test';
import { inboxNode } from '../../systems/testkit/system.ts';

type Inbox = Handle<typeof inboxNode.schemas>;

async function twoInboxes(system: SystemController): Promise<{ sender: Inbox; receiver: Inbox }> {
  const [a, b] = await system.createMachines(['a', 'b']);
  const sender = await system.spawn(a!, inboxNode, 'sender', {});
  const receiver = await system.spawn(b!, inboxNode, 'receiver', {});
  return { sender, receiver };
}

/** Send 1..count from `sender` to `receiver` as raw datagrams, one call each. */
async function sendNotes(system: SystemController, sender: Inbox, receiver: Inbox, count: number): Promise<void> {
  const to = system.refTo(receiver);
  for (let n = 1; n <= count; n++) await system.call(sender, { type: 'send_raw', to, n });
}

const notes = async (system: SystemController, inbox: Inbox) => (await system.call(inbox, { type: 'got' })).got;

test.describe('raw channel', () => {
  inModes(EVERY_MODE, () => {
    test('raw datagrams reach a node on another machine, named with their sender', async ({ system }) => {
      const { sender, receiver } = await twoInboxes(system);
      await sendNotes(system, sender, receiver, 3);
      const got = await system.waitFor(() => notes(system, receiver), { until: (g) => g.length >= 3, timeoutMs: 10_000, what: 'three notes arrive' });
      // No link orders them: compare as a set.
      expect(got.map(({ n }) => n).sort()).toEqual([1, 2, 3]);
      expect(got.every(({ from }) => from === sender.id)).toBe(true);
    });
  });

  test('every copy is delivered, a lost one never, and nothing is resent', { tag: '@simulated' }, async ({ system }) => {
    const { sender, receiver } = await twoInboxes(system);
    await system.configureNetwork({ duplicate: 1 });
    await sendNotes(system, sender, receiver, 4);
    await system.pass(1_000);
    expect((await notes(system, receiver)).map(({ n }) => n).sort()).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);

    await system.configureNetwork({ duplicate: 0, drop: 1 });
    await sendNotes(system, sender, receiver, 4);
    await system.pass(5_000);
    expect(await notes(system, receiver)).toHaveLength(8);
    // The links would have resent until acknowledged; the raw channel sent each note once.
    expect(system.simulationStats()!.raw).toEqual({ sent: 8, delivered: 8, toUnknownNode: 0 });
    expect(system.simulationStats()!.retransmitted).toBe(0);
    const faults = await system.faultCounts();
    expect(faults.duplicates).toBe(4);
    expect(faults.drops).toBe(4);
  });

  test('a raw datagram for a node that does not exist is dropped and counted; the sender goes on', { tag: '@simulated' }, async ({ system }) => {
    const { sender, receiver } = await twoInboxes(system);
    const ghost = { ...system.refTo(receiver), handle: { ...receiver, id: 'no-such-node' } };
    await system.call(sender, { type: 'send_raw', to: ghost, n: 1 });
    await sendNotes(system, sender, receiver, 1);
    await system.pass(1_000);
    expect(system.simulationStats()!.raw).toEqual({ sent: 2, delivered: 1, toUnknownNode: 1 });
    expect(await notes(system, receiver)).toEqual([{ n: 1, from: sender.id }]);
  });
});
