import { defineConfig } from '@playwright/test';
import type { DistZeroOptions } from './fixtures/index.ts';
import { MODES, settings } from './src/settings.ts';

/**
 * One project per mode. Each selects the tests tagged for its mode and tells the fixtures which
 * spawner to build, so `--project=simulated` and `--grep @simulated` pick the same tests.
 */
export default defineConfig<DistZeroOptions>({
  testDir: './specs',
  timeout: 120_000,
  globalSetup: './fixtures/global-setup.ts',
  globalTeardown: './fixtures/global-setup.ts',
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
  projects: MODES.map((mode) => ({ name: mode, grep: new RegExp(`@${mode}\\b`), use: { mode } })),
});
