/**
 * `npm run clean:docker`: remove every container and network DistZero runs left behind.
 * `npm run clean:docker -- --orphans` removes only those whose owning process is gone.
 */
import { sweepDocker } from '../src/spawners/docker/sweep.ts';

const orphansOnly = process.argv.includes('--orphans');
const removed = await sweepDocker({ orphansOnly });
console.log(`removed ${removed.containers} container(s) and ${removed.networks} network(s) labelled distzero${orphansOnly ? ' (orphans only)' : ''}`);
