import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '../../fixtures/index.ts';
import { SettingsError, parseSettings, settingsSchema } from '../../src/settings.ts';

const simulated = { tag: '@simulated' };

/** KEY=VALUE lines of .env.template (comments and blanks skipped). */
function templateValues(): Record<string, string> {
  const entries = fs
    .readFileSync('.env.template', 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const);
  return Object.fromEntries(entries);
}

test.describe('settings', () => {
  test('no .env at all gives the same settings as .env.template', simulated, () => {
    const fromNothing = parseSettings(settingsSchema, {});
    const fromTemplate = parseSettings(settingsSchema, templateValues());
    expect(fromTemplate).toEqual(fromNothing);
  });

  test('.env.template documents every setting and nothing else', simulated, () => {
    expect(Object.keys(templateValues()).sort()).toEqual(Object.keys(settingsSchema.shape).sort());
  });

  test('a bad value fails with one message naming the variable', simulated, () => {
    expect(() => parseSettings(settingsSchema, { LOGSTASH_PORT: 'abc' })).toThrow(SettingsError);
    expect(() => parseSettings(settingsSchema, { LOGSTASH_PORT: 'abc' })).toThrow(/^Invalid setting LOGSTASH_PORT: expected a number \(got "abc"\)$/);
    expect(() => parseSettings(settingsSchema, { MACHINE_UDP_PORT: '70000' })).toThrow(/MACHINE_UDP_PORT: .*65535.*\(got "70000"\)/);
    expect(() => parseSettings(settingsSchema, { LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL: .*"info".*\(got "loud"\)/);
    expect(() => parseSettings(settingsSchema, { SIM_SERIALIZE: 'yes' })).toThrow(/SIM_SERIALIZE: expected 0, 1, true or false/);
    expect(parseSettings(settingsSchema, { SIM_SEED: '42', SIM_SERIALIZE: '1' })).toMatchObject({ SIM_SEED: 42, SIM_SERIALIZE: true });
  });

  test('a malformed .env stops a process at start with its one message, no stack trace', simulated, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dz-env-'));
    fs.writeFileSync(path.join(dir, '.env'), 'LOGSTASH_PORT=abc\n');
    const settingsModule = path.resolve('src/settings.ts');
    let stderr = '';
    let status: number | null = 0;
    try {
      execFileSync(process.execPath, ['--import', path.resolve('node_modules/tsx/dist/esm/index.mjs'), '-e', `import(${JSON.stringify(settingsModule)})`], {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      stderr = String((error as { stderr?: string }).stderr);
      status = (error as { status: number | null }).status;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(status).toBe(2);
    expect(stderr).toBe('Invalid setting LOGSTASH_PORT: expected a number (got "abc")\n');
  });
});
