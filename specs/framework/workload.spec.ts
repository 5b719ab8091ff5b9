/**
 * The workload runner: what it refuses, and that a simulated run replays from its seed — clients,
 * operation mix and nemesis alike — with every fault once per round of the bag.
 */
import { InvalidArgumentError } from 'distzero';
import { expect, nemesisFaults, perform, runWorkload, test, type SystemController } from 'distzero/test';
import { buildRegister, registerWorkload } from '../../systems/register/scenario.ts';

async function nemesisRun(system: SystemController) {
  const net = await buildRegister(system, { nodes: 3 });
  const workload = registerWorkload(system, net, { keys: 2 });
  return runWorkload(system, {
    clients: 2,
    rate: 20,
    durationMs: 2_000,
    next: workload.next,
    final: workload.final,
    nemesis: { machines: net.machines, intervalMs: 250 },
  });
}

test.describe('workload runner', () => {
  test('bad options are refused with what is wrong', { tag: '@simulated' }, async ({ system }) => {
    const next = () => {
      throw new Error('never drawn');
    };
    await expect(runWorkload(system, { clients: 0, rate: 1, durationMs: 1, next })).rejects.toThrow(InvalidArgumentError);
    await expect(runWorkload(system, { clients: 0, rate: 1, durationMs: 1, next })).rejects.toThrow('runWorkload(clients)');
    await expect(runWorkload(system, { clients: 1, rate: 0, durationMs: 1, next })).rejects.toThrow('runWorkload(rate)');
    await expect(runWorkload(system, { clients: 1, rate: 1, durationMs: -1, next })).rejects.toThrow('runWorkload(durationMs)');
    const [alone] = await system.createMachines(['alone']);
    await expect(runWorkload(system, { clients: 1, rate: 1, durationMs: 1, next, nemesis: { machines: [alone!] } })).rejects.toThrow('a partition needs at least two machines');
  });

  test('the same seed gives the same history and the same faults; each fault comes once in every round of the bag', { tag: '@simulated' }, async ({ newSystem }) => {
    const first = await nemesisRun(await newSystem());
    const again = await nemesisRun(await newSystem());
    expect(again.history).toEqual(first.history);
    expect(again.nemesis).toEqual(first.nemesis);
    // Eight intervals, four faults: two rounds of the bag, each with every fault once.
    const faults = first.nemesis.filter((event) => event.fault !== 'undo').map((event) => event.fault);
    expect(faults).toHaveLength(8);
    for (const round of [faults.slice(0, 4), faults.slice(4)]) expect([...round].sort()).toEqual([...nemesisFaults].sort());
    expect(first.nemesis.filter((event) => event.fault === 'undo')).toHaveLength(8);
    expect(first.history.length).toBeGreaterThan(20);
    // Each operation notes the node it went to (the register scenario's invocations say so).
    for (const operation of first.history) expect(operation.note).toMatch(/^via \S+$/);
  });

  test("an operation's note can come from its answer, once it has completed", { tag: '@simulated' }, async ({ system }) => {
    let servedBy = '';
    const done = await perform(system, 0, {
      invocation: { op: 'write', key: 'x', args: 1 },
      call: async () => {
        await system.pass(5);
        servedBy = 'n2';
      },
      note: (operation) => `served by ${servedBy} in ${operation.completedAt! - operation.invokedAt} ms`,
    });
    expect(done.note).toBe('served by n2 in 5 ms');
    expect(system.history.history().at(-1)!.note).toBe('served by n2 in 5 ms');
  });
});
