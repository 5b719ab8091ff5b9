import { defineDistZeroConfig } from 'distzero/playwright';

/** The determinism check on a node with a planted leak: `npx playwright test -c examples/determinism.config.ts`. */
export default defineDistZeroConfig({
  testDir: '.',
  systems: '../distzero.config.ts',
  testMatch: 'leaky-node.spec.ts',
  outputDir: '../.tmp/example-determinism',
  workers: 1,
  repeatEach: 2,
  reporter: [['line']],
  projects: [{ name: 'simulated', use: { mode: 'simulated', checkDeterminism: true } }],
});
