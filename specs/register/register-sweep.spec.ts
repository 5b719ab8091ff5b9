/**
 * A sweep of the register: the seeded workload under the faults its seed implies, once per seed
 * (REGISTER_SWEEP_SEEDS from SWEEP_FROM: 1,000 by default), each history checked for
 * linearizability. One test walks the seeds (each run is small: a test per seed would cost more in
 * Playwright than in the simulator); a failing seed is named with the command that replays it alone.
 */
import { checkLinearizable, timelineSvg } from 'distzero/checkers';
import { nemesisFaults, runWorkload, expect, test } from 'distzero/test';
import { settings } from 'distzero/tools';
import { buildRegister, registerWorkload } from '../../systems/register/scenario.ts';

test.describe('register sweep', () => {
  test(`${settings.REGISTER_SWEEP_SEEDS} seeds of the register workload: every history linearizable`, { tag: ['@simulated', '@register-sweep'] }, async ({ newSystem }, testInfo) => {
    test.setTimeout(600_000);
    let checked = 0;
    for (let seed = settings.SWEEP_FROM; seed < settings.SWEEP_FROM + settings.REGISTER_SWEEP_SEEDS; seed++) {
      const system = await newSystem({ seed, quiet: true });
      // SWEEP_PLANTED_BUG plants the register's own bug: leaders serve reads without a round.
      // Quick timing, so a fault held for 250 ms sees a view change and what follows it.
      const net = await buildRegister(system, { nodes: 3, staleReads: settings.SWEEP_PLANTED_BUG, heartbeatMs: 20, electionMs: 100 });
      const workload = registerWorkload(system, net, { keys: 2, callTimeoutMs: 1_000 });
      // Four faults of the seed's choosing, in the seed's order; 30 operations a second meanwhile.
      const { history } = await runWorkload(system, {
        clients: 3,
        rate: 30,
        durationMs: 2_000,
        next: workload.next,
        final: workload.final,
        settleMs: 500,
        nemesis: { machines: net.machines, faults: nemesisFaults, intervalMs: 500 },
      });
      const result = checkLinearizable(history);
      if (result.verdict !== 'linearizable') {
        const planted = settings.SWEEP_PLANTED_BUG ? ' SWEEP_PLANTED_BUG=1' : '';
        const replay = `SWEEP_FROM=${seed} REGISTER_SWEEP_SEEDS=1${planted} npx playwright test --project=simulated specs/register/register-sweep.spec.ts`;
        const window = result.verdict === 'violation' ? result.window : [];
        await testInfo.attach('timeline.svg', { body: timelineSvg(history, { marked: window, around: window }), contentType: 'image/svg+xml' });
        await testInfo.attach('replay', { body: `${replay}\n`, contentType: 'text/plain' });
        expect(result.verdict, `seed ${seed}: ${JSON.stringify(result)}\n  replay: ${replay}`).toBe('linearizable');
      }
      await system.close();
      checked++;
    }
    expect(checked).toBe(settings.REGISTER_SWEEP_SEEDS);
  });
});
