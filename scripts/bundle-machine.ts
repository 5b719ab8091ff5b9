/**
 * Bundles the machine runner with this project's node kinds into one CommonJS file:
 *   npx tsx scripts/bundle-machine.ts [systems module, default distzero.config.ts] [outfile]
 */
import path from 'node:path';
import { bundleMachine } from 'distzero/tools';

const out = await bundleMachine(path.resolve(process.argv[2] ?? 'distzero.config.ts'), process.argv[3] ? path.resolve(process.argv[3]) : undefined);
console.log(`${out.file} (${out.bytes} bytes, sha256 ${out.sha256.slice(0, 12)})`);
