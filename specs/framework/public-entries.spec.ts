/**
 * Specs, systems, examples, benchmarks and scripts use the framework the way a user's project must:
 * through package.json's exports only. specs/internals/ tests the framework's insides and is exempt.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'distzero/test';
import { ROOT, checkSource, checkTree, formatViolations, publicEntries, sourceFiles } from './import-check.ts';
import { sumSystem } from '../../systems/sum/system.ts';

const SCANNED = ['specs', 'systems', 'examples', 'bench', 'scripts'];
const EXEMPT = ['specs/internals'];

test.describe('public entries', () => {
  test('outside the framework, nothing imports src/ or fixtures/ by path, nor an unexported distzero/ subpath', { tag: '@simulated' }, () => {
    const { files, violations } = checkTree(SCANNED, EXEMPT);
    expect(files, 'the scan found the files it should read').toBeGreaterThan(20);
    expect(violations, `imports that bypass the public entries:\n${formatViolations(violations)}`).toEqual([]);
  });

  test('the check flags what bypasses the entries, and only that', { tag: '@simulated' }, () => {
    const fixture = [
      "import { x } from '../../src/runtime/wire.ts';", // 1: into src/
      "import { y } from 'distzero/src/x';", // 2: not an export
      "import { test } from 'distzero/test';",
      "import { z } from 'zod';",
      "import { sumSystem } from '../../systems/sum/system.ts';",
      "export * from '../../fixtures/index.ts';", // 6: into fixtures/
      "import '../../src/settings.ts';", // 7: a side-effect import into src/
      "const sim = await import('distzero/sim');",
      "const internals = await import('../../node_modules/distzero/src/index.ts');", // 9: into src/, through the package link
      "// import { w } from '../../src/w.ts' (a comment is not an import)",
      'const text = "import { v } from \'../../src/v.ts\'"; // nor is a string',
    ].join('\n');
    const file = path.join(ROOT, 'specs/framework/fixture.spec.ts');
    const violations = checkSource(file, fixture, publicEntries());
    expect(violations.map(({ line, specifier }) => ({ line, specifier }))).toEqual([
      { line: 1, specifier: '../../src/runtime/wire.ts' },
      { line: 2, specifier: 'distzero/src/x' },
      { line: 6, specifier: '../../fixtures/index.ts' },
      { line: 7, specifier: '../../src/settings.ts' },
      { line: 9, specifier: '../../node_modules/distzero/src/index.ts' },
    ]);
    expect(formatViolations(violations)).toContain("specs/framework/fixture.spec.ts:1 '../../src/runtime/wire.ts' reaches into src/");
    expect(formatViolations(violations)).toContain("specs/framework/fixture.spec.ts:2 'distzero/src/x' is not one of the package's exports");
  });

  test('the framework names no system: none of the sum system\'s names is under src/ or fixtures/', { tag: '@simulated' }, () => {
    // The sum system's own vocabulary: its name, its kinds but the plain words (input, output), its
    // requests (whose names are its replies' fields), its messages but `hello`, and its recorded user.
    // Each is first found in the system's definitions, so the list cannot drift from what it calls things.
    const kinds = sumSystem.kinds.map((kind) => kind.name);
    const requests = [...new Set(sumSystem.kinds.flatMap((kind) => Object.keys(kind.schemas.requests)))];
    const messages = JSON.stringify(sumSystem.kinds[0]!.schemas.messages.toJSONSchema());
    const names = [sumSystem.name, ...kinds.filter((kind) => kind.includes('_') || kind === sumSystem.name), ...requests, 'increment', 'set_total', 'RecordedUser'];
    expect(kinds).toEqual(expect.arrayContaining(['input_leaf', 'output_leaf', 'sum']));
    expect(requests).toEqual(expect.arrayContaining(['total', 'kid_config']));
    for (const type of ['increment', 'set_total']) expect(messages).toContain(`"${type}"`);
    const pattern = new RegExp(`\\b(${names.join('|')})s?\\b`, 'i');
    const found = ['src', 'fixtures'].flatMap((dir) =>
      sourceFiles(path.join(ROOT, dir)).flatMap((file) =>
        fs.readFileSync(file, 'utf8').split('\n').flatMap((line, i) => {
          const match = pattern.exec(line);
          return match ? [`${path.relative(ROOT, file)}:${i + 1} names "${match[0]}"`] : [];
        }),
      ),
    );
    expect(found, found.join('\n')).toEqual([]);
  });
});
