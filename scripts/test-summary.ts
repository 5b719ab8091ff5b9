/** Prints `N passed, N failed, N skipped` from Playwright's JSON report (the last line .ci/run prints). */
import fs from 'node:fs';

const file = process.argv[2] ?? '.tmp/playwright-results.json';
if (!fs.existsSync(file)) {
  console.log(`0 passed, 1 failed, 0 skipped (no results at ${file}: the test run did not finish)`);
  process.exit(1);
}
const { stats } = JSON.parse(fs.readFileSync(file, 'utf8')) as { stats: { expected: number; unexpected: number; flaky: number; skipped: number } };
console.log(`${stats.expected + stats.flaky} passed, ${stats.unexpected} failed, ${stats.skipped} skipped`);
process.exit(stats.unexpected > 0 ? 1 : 0);
