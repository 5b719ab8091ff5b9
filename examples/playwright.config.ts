import { defineDistZeroConfig } from 'distzero/playwright';

/**
 * Examples that fail on purpose, to show what a failure looks like in the HTML report (the report
 * spec runs them in a run of their own). Not part of the suite: `npx playwright test -c examples`.
 */
export default defineDistZeroConfig({
  testDir: '.',
  systems: '../distzero.config.ts',
  testMatch: 'failing-sum.spec.ts',
  outputDir: '../.tmp/example-results',
  reporter: [['html', { open: 'never', outputFolder: '../.tmp/example-report' }]],
  modes: ['simulated'],
});
