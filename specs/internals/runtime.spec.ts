import { pino } from 'pino';
import { expect, test, type Handle } from '../../fixtures/index.ts';
import { InvalidBodyError, NoTransportError } from '../../src/runtime/errors.ts';
import { Simulation } from '../../src/spawners/simulated/simulation.ts';
import { SimulationError } from '../../src/spawners/simulated/simulation-error.ts';
import systems from '../../distzero.config.ts';
import { RecordedUser, RecordedUserOrderError, buildSumSystem, inc, seedScenarioUsers, spawnInput, waitForTotals } from '../../systems/sum/scenario.ts';
import { inputLeafNode, inputNode } from '../../systems/sum/system.ts';

const simulated = { tag: '@simulated' };

function catching(fn: () => void): Error | undefined {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  return undefined;
}

test.describe('runtime', () => {
  test('sending to a node with no transport raises NoTransportError', simulated, () => {
    const sim = new Simulation({ seed: 7, logger: pino({ level: 'silent' }), registry: systems });
    const manager = sim.addMachine('m1', 'one').manager!;
    const to = { id: 'b', machineId: 'm2', kind: 'output_leaf' };
    const send = () => manager.send('a', to, inc(1));
    expect(send).toThrow(NoTransportError);
    expect(send).toThrow('node a has no transport to node b');
    manager.setTransport(to, { machineId: 'm2', address: { kind: 'sim', machineId: 'm2' } });
    expect(send).not.toThrow();
  });

  test('a raw send is refused at the sender exactly as a reliable one: no transport, or a body its receiver cannot take', simulated, () => {
    const sim = new Simulation({ seed: 7, logger: pino({ level: 'silent' }), registry: systems });
    const manager = sim.addMachine('m1', 'one').manager!;
    const to = { id: 'b', machineId: 'm2', kind: 'output_leaf' };
    expect(() => manager.sendRaw('a', to, inc(1))).toThrow(NoTransportError);
    manager.setTransport(to, { machineId: 'm2', address: { kind: 'sim', machineId: 'm2' } });
    for (const bad of [{ type: 'shout' }, { type: 'set_total', total: 0.5 }]) {
      const reliable = catching(() => manager.send('a', to, bad));
      const raw = catching(() => manager.sendRaw('a', to, bad));
      expect(raw).toBeInstanceOf(InvalidBodyError);
      expect(raw?.message).toBe(reliable?.message);
    }
    expect(manager.rawStats.sent).toBe(0);
  });

  test('a recorded user whose times go backwards is an error', simulated, () => {
    expect(() => new RecordedUser('u', [[50, inc(1)], [20, inc(1)]])).toThrow(RecordedUserOrderError);
    expect(() => new RecordedUser('u', [[50, inc(1)], [20, inc(1)]])).toThrow('action 1 at 20 ms comes before action 0 at 50 ms');
    const ok = new RecordedUser('u', [[10, inc(2)], [10, inc(3)], [40, inc(-1)]]);
    expect(ok.total).toBe(4);
  });

  test('an input leaf started with an out-of-order recording is refused by its machine', simulated, async ({ system }) => {
    const [hub, user] = await system.createMachines(['hub', 'user']);
    const input = await spawnInput(system, hub!, 'input');
    const { config } = await system.call(input as Handle<typeof inputNode.schemas>, { type: 'kid_config' });
    const recording = [
      { atMs: 30, action: inc(1) },
      { atMs: 10, action: inc(1) },
    ];
    const attempt = system.spawn(user!, inputLeafNode, 'bad-user', { ...(config as { parent: never }), recording });
    await expect(attempt).rejects.toThrow(/RecordedUserOrderError: recorded user bad-user: action 1 at 10 ms/);
  });

  test('a node that fails mid-run surfaces as a SimulationError with the recent trace', simulated, async ({ system, testSeed }) => {
    const sum = await buildSumSystem(system, seedScenarioUsers());
    await waitForTotals(system, sum.outputLeaves, 6, 10_000);
    // An input node must never be told a total: its protocol has no such message.
    const failure = await system.send(sum.input, { type: 'set_total', total: 5 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SimulationError);
    const error = failure as SimulationError;
    expect(error.message).toContain('UnexpectedMessageError: input node');
    expect(error.message).toContain('cannot handle a set_total message');
    expect(error.recentTrace.length).toBeGreaterThan(10);
    expect(error.recentTrace.some((line) => line.includes('deliver'))).toBe(true);
    expect(error.seed).toBe(testSeed);
  });
});
