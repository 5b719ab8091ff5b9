import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from 'distzero';
import { settings } from 'distzero/tools';
import { EVERY_MODE, MachineDownError, WaitTimeoutError, expect, inModes, test, type Handle, type SystemController } from 'distzero/test';
import { tickerNode } from '../../systems/testkit/system.ts';

type Ticker = Handle<typeof tickerNode.schemas>;

const ticksOf = async (system: SystemController, ticker: Ticker) => (await system.call(ticker, { type: 'ticks' })).ticks;

/**
 * A ticker ticks, its machine crashes and restarts; then wait until it has ticked 3 more times than
 * its journal said. Returns what the restarted ticker had, and the wait (which fails if it stopped).
 */
async function crashAndWatch(system: SystemController, brokenResume: boolean) {
  const m = await system.createMachine('m');
  const ticker = await system.spawn(m, tickerNode, 'ticker', { periodMs: 100, brokenResume });
  await system.waitFor(() => ticksOf(system, ticker), { until: (t) => t >= 3, timeoutMs: 5_000, what: 'the ticker ticks' });
  await system.crash(m);
  await system.pass(500);
  await system.restart(m);
  const restored = await ticksOf(system, ticker);
  const again = system.waitFor(() => ticksOf(system, ticker), { until: (t) => t >= restored + 3, timeoutMs: 3_000, what: 'the restarted ticker ticks again' });
  return { restored, again };
}

test.describe('crash', () => {
  test('a crash keeps only the journal: a node whose resume re-arms its timer ticks on after a restart', { tag: '@simulated' }, async ({ system }) => {
    const { restored, again } = await crashAndWatch(system, false);
    // Nothing ticked while the machine was down, and nothing journaled was lost.
    expect(restored).toBeGreaterThanOrEqual(3);
    expect(restored).toBeLessThan(10);
    await again;
    // The report's summary of the run counts the crash as faults.json does.
    const summary = (await system.spawner.attachments(true)).find((a) => a.name === 'simulation.json')!;
    expect(JSON.parse(String(summary.body)).faults).toEqual(await system.faultCounts());
    expect((await system.faultCounts()).crashes).toBe(1);
    // The node's own log line names it, and carries the simulation's time (it resumed at 500+ virtual ms).
    const lines = fs
      .readFileSync(path.join(settings.LOG_DIR, 'system.json.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes(system.systemId) && l.includes('resumed from the journal'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => (l.time as number) >= system.spawner.startedAt);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ node_name: 'ticker', kind: 'testkit.ticker', machine_name: 'm', ticks: restored });
    expect(lines[0]!.virtual_ms as number).toBeGreaterThan(500);
  });

  test('a planted bug, a resume that forgets its timer, is caught: the restarted ticker never ticks again', { tag: '@simulated' }, async ({ system }) => {
    const { again } = await crashAndWatch(system, true);
    await expect(again).rejects.toThrow(WaitTimeoutError);
  });

  inModes(EVERY_MODE, () => {
    test('calls to a crashed machine fail with MachineDownError; a crash of a down machine or a restart of an up one is refused', async ({ system }) => {
      const [m, other] = await system.createMachines(['m', 'other']);
      const ticker = await system.spawn(m!, tickerNode, 'ticker', { periodMs: 100 });
      // A call the node would hold (it answers after a million ticks), in flight when the machine dies.
      // The crash comes in the same turn: in simulation a call in flight runs virtual time until it
      // is answered or times out, so only a crash issued before the test awaits can overtake it.
      const held = system.call(ticker, { type: 'await_ticks', ticks: 1_000_000 }, { timeoutMs: 60_000 }).then(
        () => new Error('answered'),
        (error: unknown) => error,
      );
      await system.crash(m!);
      const inFlight = await held;
      expect(inFlight).toBeInstanceOf(MachineDownError);
      expect((inFlight as Error).message).toBe('machine m is down (crashed and not restarted)');

      const call = system.call(ticker, { type: 'ticks' });
      await expect(call).rejects.toThrow(MachineDownError);
      await expect(call).rejects.toThrow('machine m is down');

      // Refused before anything is done: the machine stays down, the other stays up.
      await expect(system.crash(m!)).rejects.toThrow(InvalidArgumentError);
      await expect(system.crash(m!)).rejects.toThrow('invalid crash(machine): machine m is already down');
      await expect(system.restart(other!)).rejects.toThrow(InvalidArgumentError);
      await expect(system.restart(other!)).rejects.toThrow('invalid restart(machine): machine other is up');
      await expect(system.call(ticker, { type: 'ticks' })).rejects.toThrow(MachineDownError);

      // Back from its journal: the ticker answers and ticks on.
      await system.restart(m!);
      const restored = await ticksOf(system, ticker);
      await system.waitFor(() => ticksOf(system, ticker), { until: (t) => t > restored, timeoutMs: 10_000, what: 'the restarted ticker ticks' });
      expect((await system.faultCounts()).crashes).toBe(1);
    });
  });
});
