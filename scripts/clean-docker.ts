/**
 * `npm run clean:docker`: remove every container and network DistZero runs left behind (by label;
 * images are kept, they are the build cache).
 * `npm run clean:docker -- --orphans` removes only those whose owning process is gone.
 */
import { dockerAvailable, sweepDocker } from 'distzero/tools';

const orphansOnly = process.argv.includes('--orphans');
const status = await dockerAvailable();
if (!status.ok) {
  // Nothing can be left behind in an engine that does not run: not an error.
  console.log(`nothing to clean: ${status.reason}`);
} else {
  const removed = await sweepDocker({ orphansOnly });
  console.log(`removed ${removed.containers} container(s) and ${removed.networks} network(s) labelled distzero${orphansOnly ? ' (orphans only)' : ''}`);
}
