/**
 * README's walkthrough ("Write your own system") shows the consumer example's files whole, each
 * under a `<!-- file: path -->` line: every such block must be the file as it is, and every file
 * of the example must be shown, so a reader who copies the blocks into an empty folder has the
 * project the suite runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'distzero/test';
import { ROOT } from './import-check.ts';

const EXAMPLE = 'examples/consumer';

/** Each `<!-- file: path -->` of a markdown text, with the fenced block that follows it. */
function shownFiles(markdown: string): { path: string; body: string }[] {
  const shown: { path: string; body: string }[] = [];
  const pattern = /^<!-- file: (\S+) -->\n```[a-z]*\n([\s\S]*?)\n```$/gm;
  for (const match of markdown.matchAll(pattern)) shown.push({ path: match[1]!, body: match[2]! });
  return shown;
}

/** The example's own files: what a user would write (not what npm or a run makes). */
function exampleFiles(dir = EXAMPLE): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return [];
    const file = `${dir}/${entry.name}`;
    return entry.isDirectory() ? exampleFiles(file) : [file];
  });
}

test.describe('README', () => {
  test("the walkthrough shows every file of the consumer example, each exactly as it is", { tag: '@simulated' }, () => {
    const shown = shownFiles(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    expect(shown.map((file) => file.path).sort()).toEqual(exampleFiles().sort());
    for (const file of shown) {
      expect(file.body, `README's block for ${file.path}`).toBe(fs.readFileSync(path.join(ROOT, file.path), 'utf8').replace(/\n$/, ''));
    }
  });

  test('the blocks are found by their file line and fence, nothing else', { tag: '@simulated' }, () => {
    const markdown = ['<!-- file: a.ts -->', '```ts', 'const a = 1;', '```', 'prose', '<!-- file: b.json -->', '```json', '{}', '```', '```ts', 'not shown as a file', '```'].join('\n');
    expect(shownFiles(markdown)).toEqual([
      { path: 'a.ts', body: 'const a = 1;' },
      { path: 'b.json', body: '{}' },
    ]);
    expect(shownFiles('<!-- file: a.ts -->\nprose between\n```ts\nx\n```')).toEqual([]);
  });
});
