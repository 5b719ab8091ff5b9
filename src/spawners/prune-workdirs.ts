/**
 * Old working directories under LOG_DIR are removed at the start of each run, so `.tmp` does not
 * grow by a bundle per worker and a log directory per machine for every run ever made:
 * - `build/<pid>/` and `build/machine-image-<pid>/` (bundles and image build contexts) once their
 *   process is gone, and `build/failed-build-<pid>-<time>.txt` (a run's failed-build marker) once its run is;
 * - `containers/<machine-id>/` (a container's bind-mounted logs) when nothing in it changed for
 *   MACHINE_LOGS_KEPT_MS: long enough to read the last runs' logs (`npm run logs`), short enough to stay small.
 */
import fs from 'node:fs';
import path from 'node:path';

export const MACHINE_LOGS_KEPT_MS = 60 * 60 * 1000;

export interface Pruned {
  build: number;
  containers: number;
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** The process a build entry belongs to, or undefined for entries this module does not own. */
function ownerPid(entry: string): number | undefined {
  const match = /^(?:machine-image-)?(\d+)$/.exec(entry) ?? /^failed-build-(\d+)-\d+\.txt$/.exec(entry);
  return match ? Number(match[1]) : undefined;
}

/** The newest modification time in a directory tree (a log file grows without touching its directory). */
function lastChange(dir: string): number {
  let newest = fs.statSync(dir).mtimeMs;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? lastChange(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

const entries = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);

/** `liveMachines`: ids of machines whose containers still exist (their logs are kept, however old). */
export function pruneWorkDirs(logDir: string, liveMachines: ReadonlySet<string> = new Set(), now = Date.now()): Pruned {
  const pruned: Pruned = { build: 0, containers: 0 };
  const buildDir = path.join(logDir, 'build');
  for (const entry of entries(buildDir)) {
    const pid = ownerPid(entry);
    if (pid === undefined || pid === process.pid || !processGone(pid)) continue;
    fs.rmSync(path.join(buildDir, entry), { recursive: true, force: true });
    pruned.build++;
  }
  const containersDir = path.join(logDir, 'containers');
  for (const entry of entries(containersDir)) {
    const dir = path.join(containersDir, entry);
    if (liveMachines.has(entry)) continue;
    try {
      if (now - lastChange(dir) < MACHINE_LOGS_KEPT_MS) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      pruned.containers++;
    } catch {
      // Removed meanwhile (another run pruning too): nothing to do.
    }
  }
  return pruned;
}
