import { defineDistZeroConfig } from 'distzero/playwright';

/**
 * The broadcast without its retries, failing on purpose under loss: `npx playwright test -c
 * examples/raw-broadcast.config.ts`. specs/broadcast/raw-broadcast-replay.spec.ts runs it, then its
 * replay command, and reads both runs' JSON reports. Not part of the suite.
 */
export default defineDistZeroConfig({
  testDir: '.',
  systems: '../distzero.config.ts',
  testMatch: 'raw-broadcast-no-retries.spec.ts',
  outputDir: '../.tmp/example-raw-broadcast/results',
  workers: 1,
  reporter: [['line'], ['json', { outputFile: '../.tmp/example-raw-broadcast/report.json' }]],
  modes: ['simulated'],
});
