import { pino } from 'pino';
import { expect, test } from '../fixtures/index.ts';
import { increment, setTotal } from '../src/messages/index.ts';
import { RecordedUser, RecordedUserOrderError } from '../src/nodes/recorded-user.ts';
import { NoTransportError } from '../src/runtime/errors.ts';
import { MachineApiError } from '../src/spawners/spawner.ts';
import { Simulation } from '../src/spawners/simulated/simulation.ts';
import { SimulationError } from '../src/spawners/simulated/simulation-error.ts';
import { buildSumSystem, inc, seedScenarioUsers } from '../src/system/sum-scenario.ts';

const simulated = { tag: '@simulated' };

test.describe('runtime', () => {
  test('sending to a node with no transport raises NoTransportError', simulated, () => {
    const sim = new Simulation({ seed: 7, logger: pino({ level: 'silent' }) });
    const machine = sim.addMachine('m1', 'one');
    const send = () => machine.manager.send('a', { id: 'b', machineId: 'm2' }, increment(1));
    expect(send).toThrow(NoTransportError);
    expect(send).toThrow('node a has no transport to node b');
    machine.manager.setTransport({ id: 'b', machineId: 'm2' }, { machineId: 'm2', address: { kind: 'sim', machineId: 'm2' } });
    expect(send).not.toThrow();
  });

  test('a recorded user whose times go backwards is an error', simulated, () => {
    expect(() => new RecordedUser('u', [[50, inc(1)], [20, inc(1)]])).toThrow(RecordedUserOrderError);
    expect(() => new RecordedUser('u', [[50, inc(1)], [20, inc(1)]])).toThrow('action 1 at 20 ms comes before action 0 at 50 ms');
    const ok = new RecordedUser('u', [[10, inc(2)], [10, inc(3)], [40, inc(-1)]]);
    expect(ok.total).toBe(4);
  });

  test('an input leaf started with an out-of-order recording is refused by its machine', simulated, async ({ system }) => {
    const [hub, user] = await system.createMachines(['hub', 'user']);
    const input = await system.spawnInput(hub!, 'input');
    const config = await system.createKidConfig(input, user!, 'bad-user');
    if (config.kind !== 'input_leaf') throw new Error(`expected an input leaf config, got ${config.kind}`);
    config.recording = [
      { atMs: 30, action: inc(1) },
      { atMs: 10, action: inc(1) },
    ];
    const attempt = system.spawnNode(user!, config);
    await expect(attempt).rejects.toThrow(MachineApiError);
    await expect(system.spawnNode(user!, config)).rejects.toThrow(/RecordedUserOrderError: recorded user bad-user: action 1 at 10 ms/);
  });

  test('a node that fails mid-run surfaces as a SimulationError with the recent trace', simulated, async ({ system, seed }) => {
    const sum = await buildSumSystem(system, seedScenarioUsers());
    await system.waitForTotals(sum.outputLeaves, 6, 10_000);
    // An input node must never be told a total: its protocol has no such message.
    const failure = await system.sendToNode(sum.input, setTotal(5)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SimulationError);
    const error = failure as SimulationError;
    expect(error.message).toContain('UnexpectedMessageError: input node');
    expect(error.message).toContain('cannot handle a set_total message');
    expect(error.recentTrace.length).toBeGreaterThan(10);
    expect(error.recentTrace.some((line) => line.includes('deliver'))).toBe(true);
    expect(error.seed).toBe(seed);
  });
});
