/** Bundles the machine runner into one CommonJS file: `tsx scripts/bundle-machine.ts [outfile]`. */
import { bundleMachine } from '../src/runtime/bundle.ts';

const out = await bundleMachine(process.argv[2]);
console.log(`${out.file} (${out.bytes} bytes, sha256 ${out.sha256.slice(0, 12)})`);
