/**
 * The register's planted bug (backups serve stale reads) is found by the register sweep, named with
 * the command that replays its seed, and that command fails the same way: same seed, same history,
 * same minimal window.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { expect, test } from 'distzero/test';
import { childEnvironment } from 'distzero/tools';

interface JsonResult {
  status: string;
  errors: { message?: string }[];
  attachments: { name: string; body?: string }[];
}
interface JsonSuite {
  specs: { tests: { results: JsonResult[] }[] }[];
  suites?: JsonSuite[];
}

/** Run the register sweep in a Playwright run of its own; its one result, from the JSON report. */
function registerSweep(env: Record<string, string>, output: string, report: string): JsonResult {
  spawnSync(process.execPath, ['node_modules/@playwright/test/cli.js', 'test', '--project=simulated', 'specs/register/register-sweep.spec.ts', '--reporter=json', `--output=${output}`], {
    env: childEnvironment({ ...env, PLAYWRIGHT_JSON_OUTPUT_NAME: report }),
    encoding: 'utf8',
  });
  const json = JSON.parse(fs.readFileSync(report, 'utf8')) as { suites: JsonSuite[] };
  const results: JsonResult[] = [];
  const visit = (suite: JsonSuite) => {
    for (const spec of suite.specs) results.push(...spec.tests.map((t) => t.results[0]!));
    suite.suites?.forEach(visit);
  };
  json.suites.forEach(visit);
  expect(results).toHaveLength(1);
  return results[0]!;
}

const firstLine = (result: JsonResult) => (result.errors[0]?.message ?? '').split('\n')[0]!;
const attachment = (result: JsonResult, name: string) => {
  const body = result.attachments.find((a) => a.name === name)?.body;
  return body === undefined ? undefined : Buffer.from(body, 'base64').toString('utf8').trim();
};

test.describe('the register sweep finds a planted bug', () => {
  test('stale reads are caught with a minimal window, named with a replay command, and the replay fails the same way', { tag: '@simulated' }, async ({}, testInfo) => {
    test.setTimeout(180_000);
    const found = registerSweep({ SWEEP_PLANTED_BUG: '1', REGISTER_SWEEP_SEEDS: '300', SWEEP_FROM: '1' }, testInfo.outputPath('sweep'), testInfo.outputPath('sweep.json'));
    expect(found.status).toBe('failed');
    expect(firstLine(found)).toMatch(/^Error: seed \d+: \{"verdict":"violation"/);
    expect(attachment(found, 'timeline.svg')).toContain('<svg');
    const replay = attachment(found, 'replay')!;
    const seed = /seed (\d+)/.exec(firstLine(found))![1]!;
    expect(replay).toBe(`SWEEP_FROM=${seed} REGISTER_SWEEP_SEEDS=1 SWEEP_PLANTED_BUG=1 npx playwright test --project=simulated specs/register/register-sweep.spec.ts`);
    // The window is small: a stale read needs only the write it missed (or another read) to show.
    const window = JSON.parse(firstLine(found).replace(/^Error: seed \d+: /, '')).window as unknown[];
    expect(window.length).toBeGreaterThanOrEqual(1);
    expect(window.length).toBeLessThanOrEqual(4);

    // Replay exactly as printed: the same seed fails with the same verdict and window.
    const assignments = Object.fromEntries([...replay.matchAll(/(\w+)=(\S+)/g)].slice(0, 3).map((m) => [m[1]!, m[2]!]));
    const replayed = registerSweep(assignments, testInfo.outputPath('replay'), testInfo.outputPath('replay.json'));
    expect(replayed.status).toBe('failed');
    expect(firstLine(replayed)).toBe(firstLine(found));
  });
});
