import { defineDistZeroConfig } from 'distzero/playwright';

/**
 * The determinism check on a node with a planted leak:
 * `CHECK_DETERMINISM=1 npx playwright test -c examples/determinism.config.ts`. Nothing here asks for
 * two runs of each test or one worker: defineDistZeroConfig does, when the check is on.
 */
export default defineDistZeroConfig({
  testDir: '.',
  systems: '../distzero.config.ts',
  testMatch: 'leaky-node.spec.ts',
  outputDir: '../.tmp/example-determinism',
  reporter: [['line']],
  projects: [{ name: 'simulated', use: { mode: 'simulated' } }],
});
