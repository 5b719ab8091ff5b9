import { defineDistZeroConfig } from 'distzero/playwright';

/**
 * A sweep that fails on some seeds, replayed by the command the sweep prints by default:
 * `npx playwright test -c examples/sweep-replay.config.ts`. specs/framework/sweep-replay.spec.ts
 * runs it, then a failing seed's replay exactly as printed. Not part of the suite.
 */
export default defineDistZeroConfig({
  testDir: '.',
  systems: '../distzero.config.ts',
  testMatch: 'every-third-seed.spec.ts',
  outputDir: '../.tmp/example-sweep-replay/results',
  modes: ['simulated'],
});
