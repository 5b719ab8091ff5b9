import { defineConfig } from '@playwright/test';
import type { DistZeroOptions } from '../fixtures/index.ts';

/**
 * Examples that fail on purpose, to show what a failure looks like in the HTML report (the report
 * spec runs them in a run of their own). Not part of the suite: `npx playwright test -c examples`.
 */
export default defineConfig<DistZeroOptions>({
  testDir: '.',
  testMatch: 'failing-sum.spec.ts',
  outputDir: '../.tmp/example-results',
  reporter: [['html', { open: 'never', outputFolder: '../.tmp/example-report' }]],
  projects: [{ name: 'simulated', grep: /@simulated\b/, use: { mode: 'simulated' } }],
});
