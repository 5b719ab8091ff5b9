/**
 * Everything outside the framework reaches it through its public entries only: the `exports` of
 * package.json (`distzero`, `distzero/test`, ...). This finds the imports that do not — a relative
 * path into src/ or fixtures/, or a `distzero/...` subpath the package does not export — with the
 * file and line of each. Imports are read with TypeScript's own pre-parser (static imports, `export
 * ... from`, side-effect imports, `import('...')`, `require('...')`), so strings and comments that
 * merely look like imports are not counted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The repository's root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The framework's internals: only the framework itself (and specs/internals) may import them by path. */
export const INTERNAL_DIRS = ['src', 'fixtures'];

export interface ImportViolation {
  /** Relative to the root. */
  file: string;
  line: number;
  specifier: string;
  problem: string;
}

export interface CheckOptions {
  root: string;
  /** The package's name (package.json `name`). */
  packageName: string;
  /** The public specifiers: `distzero`, `distzero/test`, ... (from package.json `exports`). */
  entries: ReadonlySet<string>;
}

/** The package's name and public specifiers, read from the root's package.json. */
export function publicEntries(root = ROOT): CheckOptions {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, unknown> | string };
  const keys = typeof pkg.exports === 'object' && pkg.exports !== null ? Object.keys(pkg.exports) : ['.'];
  return { root, packageName: pkg.name, entries: new Set(keys.map((key) => (key === '.' ? pkg.name : `${pkg.name}/${key.replace(/^\.\//, '')}`))) };
}

/** Every module specifier `source` imports or re-exports, with its 1-based line. */
export function importsOf(source: string): { specifier: string; line: number }[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((ref) => ({
    specifier: ref.fileName,
    line: source.slice(0, ref.pos).split('\n').length,
  }));
}

/** The real path of `target`, or of its longest existing ancestor with the rest appended (links into the root resolved). */
function realPath(target: string): string {
  const rest: string[] = [];
  let at = target;
  while (!fs.existsSync(at)) {
    const parent = path.dirname(at);
    if (parent === at) return target;
    rest.unshift(path.basename(at));
    at = parent;
  }
  return path.join(fs.realpathSync(at), ...rest);
}

const inside = (dir: string, file: string) => {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

/** The violations in one file's `source`; `file` is its absolute path (relative imports resolve from it). */
export function checkSource(file: string, source: string, options: CheckOptions): ImportViolation[] {
  const violations: ImportViolation[] = [];
  const internals = INTERNAL_DIRS.map((dir) => path.join(options.root, dir));
  for (const { specifier, line } of importsOf(source)) {
    const at = { file: path.relative(options.root, file), line, specifier };
    if (specifier.startsWith('.')) {
      const target = realPath(path.resolve(path.dirname(file), specifier));
      const internal = internals.find((dir) => inside(dir, target));
      if (internal) violations.push({ ...at, problem: `reaches into ${path.relative(options.root, internal)}/: import a public entry (${[...options.entries].join(', ')}) instead` });
    } else if ((specifier === options.packageName || specifier.startsWith(`${options.packageName}/`)) && !options.entries.has(specifier)) {
      violations.push({ ...at, problem: `is not one of the package's exports (${[...options.entries].join(', ')})` });
    }
  }
  return violations;
}

const SOURCE = /\.(?:[cm]?ts|tsx|[cm]?js|jsx)$/;
const SKIPPED_DIRS = new Set(['node_modules']);

/** The source files under `dir`, skipping node_modules, dot-folders (.tmp) and the absolute paths in `except`. */
export function sourceFiles(dir: string, except: readonly string[] = []): string[] {
  if (!fs.existsSync(dir) || except.some((skip) => inside(skip, dir))) return [];
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.')) files.push(...sourceFiles(full, except));
    } else if (entry.isFile() && SOURCE.test(entry.name)) {
      files.push(full);
    }
  }
  return files.sort();
}

/** Check every source file under `dirs` (relative to the root), except those under `except`. */
export function checkTree(dirs: readonly string[], except: readonly string[] = [], options: CheckOptions = publicEntries()): { files: number; violations: ImportViolation[] } {
  const skip = except.map((dir) => path.join(options.root, dir));
  const files = dirs.flatMap((dir) => sourceFiles(path.join(options.root, dir), skip));
  return { files: files.length, violations: files.flatMap((file) => checkSource(file, fs.readFileSync(file, 'utf8'), options)) };
}

/** One line per violation: `file:line 'specifier' problem`. */
export function formatViolations(violations: readonly ImportViolation[]): string {
  return violations.map((v) => `${v.file}:${v.line} '${v.specifier}' ${v.problem}`).join('\n');
}
