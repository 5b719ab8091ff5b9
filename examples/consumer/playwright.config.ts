import { defineDistZeroConfig } from 'distzero/playwright';

/** One project per mode (simulated, virtual, cloud), running the specs tagged for it. */
export default defineDistZeroConfig({
  testDir: './specs',
  systems: './distzero.config.ts',
  timeout: 120_000,
  fullyParallel: true,
  outputDir: './.tmp/test-results',
  reporter: [['list'], ['json', { outputFile: './.tmp/results.json' }]],
});
