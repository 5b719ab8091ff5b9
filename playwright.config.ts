import { defineDistZeroConfig } from 'distzero/playwright';
import { settings } from 'distzero/tools';

/** The suite: one project per mode (see distzero/playwright), the systems of distzero.config.ts. */
export default defineDistZeroConfig({
  testDir: './specs',
  systems: './distzero.config.ts',
  timeout: 120_000,
  fullyParallel: true,
  // Every core (sweeps scale with it); the determinism check runs every test twice, one run after the other: one worker.
  workers: settings.CHECK_DETERMINISM ? 1 : '100%',
  repeatEach: settings.CHECK_DETERMINISM ? 2 : 1,
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
