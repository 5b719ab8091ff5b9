import { defineDistZeroConfig } from 'distzero/playwright';

/** The suite: one project per mode (see distzero/playwright), the systems of distzero.config.ts. */
export default defineDistZeroConfig({
  testDir: './specs',
  systems: './distzero.config.ts',
  timeout: 120_000,
  fullyParallel: true,
  // Every core (sweeps scale with it); with CHECK_DETERMINISM=1, defineDistZeroConfig makes it one worker, every test twice.
  workers: '100%',
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'playwright-report' }],
    ['json', { outputFile: '.tmp/playwright-results.json' }],
  ],
  use: {
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
});
