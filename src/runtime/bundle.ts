/**
 * One file holds the whole machine runner — the framework, the project's node kinds and their
 * dependencies: what a container image copies in and what a cloud instance's loader receives.
 * Built with esbuild from the project's systems module (the same list the test process registers),
 * so a user's nodes reach every real machine; content-addressed, so images are rebuilt only when
 * the code changes.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const runner = path.join(path.dirname(fileURLToPath(import.meta.url)), 'machine-main.ts');

export interface Bundle {
  file: string;
  bytes: number;
  sha256: string;
}

/**
 * Bundle the runner with the registry exported by `systemsModule` (an absolute path). Each process
 * bundles into a directory of its own: parallel workers must never read a half-written bundle.
 */
export async function bundleMachine(systemsModule: string, outfile = path.resolve(`.tmp/build/${process.pid}/machine.cjs`)): Promise<Bundle> {
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  const entry = [
    `import registry from ${JSON.stringify(systemsModule)};`,
    `import { runMachine } from ${JSON.stringify(runner)};`,
    'runMachine(registry);',
  ].join('\n');
  await build({
    stdin: { contents: entry, loader: 'ts', resolveDir: path.dirname(systemsModule), sourcefile: 'machine-entry.ts' },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const content = fs.readFileSync(outfile);
  return { file: outfile, bytes: content.length, sha256: createHash('sha256').update(content).digest('hex') };
}
