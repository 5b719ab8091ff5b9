import { defineDistZeroConfig } from 'distzero/playwright';

/**
 * A node that throws, in every mode: `npx playwright test -c examples/node-failure.config.ts`.
 * specs/framework/node-failure.spec.ts runs it and reads its JSON report. Not part of the suite.
 */
export default defineDistZeroConfig({
  testDir: '.',
  systems: '../distzero.config.ts',
  testMatch: 'node-failure.spec.ts',
  outputDir: '../.tmp/example-node-failure/results',
  timeout: 120_000,
  reporter: [['line']],
});
