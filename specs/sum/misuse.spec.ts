import path from 'node:path';
import { expect, test, type Handle, type MachineRef, type SystemController } from 'distzero/test';
import { createSystem, dockerAvailable } from 'distzero/tools';
import { inputNode, outputLeafNode, sumNode } from '../../systems/sum/system.ts';
import { spawnInput } from '../../systems/sum/scenario.ts';
import { probeNode } from '../../systems/testkit/system.ts';

/** What a misuse raised: the error's class name and its message. */
interface Outcome {
  case: string;
  name: string;
  message: string;
}

/**
 * Every misuse a user can make of a system, run against one system: each must be refused with a
 * typed framework error naming the node, the kind and the field. Names are fixed, so the messages
 * are the same in every mode.
 */
async function misuses(system: SystemController): Promise<Outcome[]> {
  const [m] = await system.createMachines(['m']);
  const machine = m!;
  const input = await spawnInput(system, machine, 'input');
  const probe = await system.spawn(machine, probeNode, 'probe', { label: 'p' });
  const ghostMachine: MachineRef = { id: 'no-such-machine', name: 'ghost' };
  const cases: [string, () => Promise<unknown>][] = [
    ['unregistered kind', () => system.spawn(machine, 'no_such_kind', 'x', {})],
    ['config fails its schema', () => system.spawn(machine, sumNode, 'bad-sum', { senders: 'nobody' } as never)],
    ['message the kind does not declare', () => system.send(input, { type: 'shout' })],
    ['message with 0.5 where an integer is declared', () => system.send(input, { type: 'increment', amount: 0.5 })],
    ['message with NaN where an integer is declared', () => system.send(input, { type: 'increment', amount: Number.NaN })],
    ['message missing a field', () => system.send(input, { type: 'increment' })],
    ['request the kind does not answer', () => system.call(input as Handle<typeof inputNode.schemas>, { type: 'shout' } as never)],
    ['request with 0.5 where an integer is declared', () => system.call(probe, { type: 'echo', n: 0.5 })],
    ['request missing a field', () => system.call(probe, { type: 'echo' } as never)],
    ['reply that fails its schema', () => system.call(probe, { type: 'broken_reply' })],
    ['node that does not exist', () => system.call({ id: 'ghost-node', machineId: machine.id, kind: 'output_leaf' } as Handle<typeof outputLeafNode.schemas>, { type: 'total' })],
    ['machine that does not exist', () => system.spawn(ghostMachine, outputLeafNode, 'x', { parent: system.refTo(input) })],
    ['negative pass', () => system.pass(-100)],
  ];
  const outcomes: Outcome[] = [];
  for (const [name, attempt] of cases) {
    const error = await attempt().then(
      () => new Error('accepted'),
      (e: unknown) => e as Error,
    );
    outcomes.push({ case: name, name: error.name, message: error.message });
  }
  // The good request still works after all that: nothing was lost.
  expect(await system.call(probe, { type: 'echo', n: 7 })).toEqual({ n: 7 });
  return outcomes;
}

test.describe('misuse', () => {
  test('every misuse is refused in simulation with a typed error naming the node, the kind and the field', { tag: '@simulated' }, async ({ system }) => {
    const outcomes = await misuses(system);
    const by = Object.fromEntries(outcomes.map((o) => [o.case, `${o.name}: ${o.message}`]));
    expect(by['unregistered kind']).toMatch(/^UnknownKindError: no node kind "no_such_kind" is registered \(registered: .*input.*; a kind is registered by naming its system in the project's systems module\)$/);
    expect(by['config fails its schema']).toMatch(/^InvalidBodyError: invalid config for node bad-sum \(kind sum\) at senders: /);
    expect(by['message the kind does not declare']).toMatch(/^InvalidBodyError: invalid message "shout" for node input \(kind input\) at type: /);
    expect(by['message with 0.5 where an integer is declared']).toMatch(/^InvalidBodyError: invalid message "increment" for node input \(kind input\) at amount: .*int/);
    expect(by['message with NaN where an integer is declared']).toMatch(/^InvalidBodyError: invalid message "increment" for node input \(kind input\) at amount: .*received null/);
    expect(by['message missing a field']).toMatch(/^InvalidBodyError: invalid message "increment" for node input \(kind input\) at amount: /);
    expect(by['request the kind does not answer']).toBe('InvalidBodyError: invalid request for node input (kind input) at type: no request "shout" (answers: total, kid_config)');
    expect(by['request with 0.5 where an integer is declared']).toMatch(/^InvalidBodyError: invalid request "echo" for node probe \(kind testkit.probe\) at n: /);
    expect(by['request missing a field']).toMatch(/^InvalidBodyError: invalid request "echo" for node probe \(kind testkit.probe\) at n: /);
    expect(by['reply that fails its schema']).toMatch(/^InvalidBodyError: invalid reply to "broken_reply" for node probe \(kind testkit.probe\) at count: /);
    expect(by['node that does not exist']).toBe('UnknownNodeError: no node ghost-node on machine m');
    expect(by['machine that does not exist']).toBe('UnknownMachineError: no machine no-such-machine in this system');
    expect(by['negative pass']).toMatch(/^InvalidArgumentError: invalid pass\(ms\)/);
  });

  test('a real machine refuses every misuse with the same error type and message as the simulator', { tag: '@virtual' }, async ({}, testInfo) => {
    test.setTimeout(120_000);
    const docker = await dockerAvailable();
    test.skip(!docker.ok, docker.ok ? '' : `virtual mode needs Docker: ${docker.reason}`);
    const systems = path.resolve('distzero.config.ts');
    const simulated = await createSystem({ mode: 'simulated', systems });
    const virtual = await createSystem({ mode: 'virtual', systems });
    try {
      const expected = await misuses(simulated);
      const actual = await misuses(virtual);
      await testInfo.attach('misuses.json', { body: JSON.stringify({ simulated: expected, virtual: actual }, null, 2), contentType: 'application/json' });
      expect(actual).toEqual(expected);
    } finally {
      await Promise.allSettled([simulated.close(), virtual.close()]);
    }
  });
});
