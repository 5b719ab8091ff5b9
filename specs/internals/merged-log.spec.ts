/**
 * A test's merged log (fixtures/story.ts): one system's lines from every log, in order, and only
 * this run's, though the test process's log is appended to by every run and a replayed seed's
 * system has the same id each time.
 */
import fs from 'node:fs';
import { expect, test } from '../../fixtures/index.ts';
import { mergedLog } from '../../fixtures/story.ts';

const simulated = { tag: '@simulated' };
const line = (fields: Record<string, unknown>) => JSON.stringify({ level: 30, system_id: 'sys-1', machine_name: 'm', ...fields });

test.describe('merged log', () => {
  test("a simulated system's lines, this run's only, in virtual time order and showing it", simulated, ({}, testInfo) => {
    const processLog = testInfo.outputPath('process.json.log');
    fs.writeFileSync(
      processLog,
      [
        line({ time: 1_000, virtual_ms: 5, msg: 'an earlier run of the same seed' }),
        line({ time: 2_000, virtual_ms: 7.25, msg: 'second' }),
        // Written out of its virtual order (a wait's lines, say): placed by virtual time.
        line({ time: 2_001, virtual_ms: 3, msg: 'first' }),
        JSON.stringify({ level: 30, system_id: 'sys-2', time: 2_002, virtual_ms: 4, msg: 'another system' }),
        '{"torn',
      ].join('\n'),
    );
    const story = mergedLog([processLog], 'sys-1', { processLogSince: 1_500 });
    expect(story).not.toContain('an earlier run');
    expect(story).not.toContain('another system');
    const messages = story.split('\n').filter((l) => l.includes('[m]'));
    expect(messages.map((l) => l.replace(/^.*?INFO.*?: /, ''))).toEqual(['3 virtual ms [m] first', '7.25 virtual ms [m] second']);
  });

  test('lines without virtual time (real machines) are ordered by their clocks, and a machine log is not cut by the process log time', simulated, ({}, testInfo) => {
    const processLog = testInfo.outputPath('process.json.log');
    const machineLog = testInfo.outputPath('machine.json.log');
    fs.writeFileSync(processLog, [line({ time: 2_000, msg: 'b' }), line({ time: 500, msg: 'stale' })].join('\n'));
    // A machine whose clock the test set back: its lines are stamped before the system was made.
    fs.writeFileSync(machineLog, line({ time: 900, msg: 'a' }));
    const story = mergedLog([processLog, machineLog], 'sys-1', { processLogSince: 1_000 });
    expect(story).not.toContain('stale');
    expect(story.indexOf('[m] a')).toBeGreaterThanOrEqual(0);
    expect(story.indexOf('[m] a')).toBeLessThan(story.indexOf('[m] b'));
    expect(story).not.toContain('virtual ms');
  });
});
