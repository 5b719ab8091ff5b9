/**
 * A sweep of the register: the seeded workload under the faults its seed implies, once per seed
 * (REGISTER_SWEEP_SEEDS from SWEEP_FROM: 1,000 by default), each history checked for
 * linearizability. One test walks the seeds (each run is small: a test per seed would cost more in
 * Playwright than in the simulator); a failing seed is named with the command that replays it alone.
 */
import { HistoryRecorder, checkLinearizable, historyTable, timelineSvg } from 'distzero/checkers';
import { Rng } from 'distzero';
import { expect, test } from 'distzero/test';
import { settings } from 'distzero/tools';
import { buildRegister, runRegisterWorkload } from '../../systems/register/scenario.ts';

test.describe('register sweep', () => {
  test(`${settings.REGISTER_SWEEP_SEEDS} seeds of the register workload: every history linearizable`, { tag: ['@simulated', '@register-sweep'] }, async ({ newSystem }, testInfo) => {
    test.setTimeout(600_000);
    let checked = 0;
    for (let seed = settings.SWEEP_FROM; seed < settings.SWEEP_FROM + settings.REGISTER_SWEEP_SEEDS; seed++) {
      const system = await newSystem({ seed, quiet: true });
      // The faults a seed implies, from a generator of their own (the run's stays untouched).
      const faults = new Rng(seed ^ 0x7f4a7c15);
      // SWEEP_PLANTED_BUG plants the register's own bug: backups serve reads from their replica.
      const net = await buildRegister(system, { nodes: 3, staleReads: settings.SWEEP_PLANTED_BUG });
      const recorder = new HistoryRecorder({ now: () => system.now() });
      await system.configureNetwork({ drop: faults.float() * 0.2, duplicate: faults.float() * 0.1, reorder: faults.float() * 0.2, jitterMs: 5 });
      const victim = net.machines[1 + faults.int(2)]!;
      const fault = faults.chance(0.5)
        ? async () => {
            await system.partition([victim], net.machines.filter((m) => m !== victim));
            await system.pass(50 + faults.int(300));
            await system.heal();
          }
        : async () => {
            await system.crash(victim);
            await system.pass(50 + faults.int(300));
            await system.restart(victim);
          };
      await Promise.all([runRegisterWorkload(system, net, { clients: 3, keys: 2, opsPerClient: 5, recorder, callTimeoutMs: 3_000 }), fault()]);
      const history = recorder.history();
      const result = checkLinearizable(history);
      if (result.verdict !== 'linearizable') {
        const planted = settings.SWEEP_PLANTED_BUG ? ' SWEEP_PLANTED_BUG=1' : '';
        const replay = `SWEEP_FROM=${seed} REGISTER_SWEEP_SEEDS=1${planted} npx playwright test --project=simulated specs/register/register-sweep.spec.ts`;
        await testInfo.attach('history.txt', { body: historyTable(history), contentType: 'text/plain' });
        await testInfo.attach('timeline.svg', { body: timelineSvg(history, { marked: result.verdict === 'violation' ? result.window : [] }), contentType: 'image/svg+xml' });
        await testInfo.attach('replay', { body: `${replay}\n`, contentType: 'text/plain' });
        expect(result.verdict, `seed ${seed}: ${JSON.stringify(result)}\n  replay: ${replay}`).toBe('linearizable');
      }
      await system.close();
      checked++;
    }
    expect(checked).toBe(settings.REGISTER_SWEEP_SEEDS);
  });
});
