/**
 * One file holds the whole machine runner (node, its dependencies and all): what a container image
 * copies in and what a cloud instance's loader receives. Built with esbuild; content-addressed so
 * images are rebuilt only when the code changes.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'machine-main.ts');

export interface Bundle {
  file: string;
  bytes: number;
  sha256: string;
}

/** Each process bundles into a directory of its own: parallel workers must never read a half-written bundle. */
export async function bundleMachine(outfile = path.resolve(`.tmp/build/${process.pid}/machine.cjs`)): Promise<Bundle> {
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  await build({
    entryPoints: [entry],
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
