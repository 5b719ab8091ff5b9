/**
 * Removes DistZero's containers and networks by label: one system's at teardown, or everything a
 * crashed or killed run left behind (`npm run clean:docker`, and the suite's global setup).
 * Ryuk (testcontainers' reaper) cannot run here (its image cannot be pulled), so this is the cleanup.
 */
import Dockerode from 'dockerode';
import { OWNER_LABEL, PROJECT_LABEL, SYSTEM_LABEL, ownerIsGone } from './labels.ts';

export type DockerStatus = { ok: true } | { ok: false; reason: string };

const PING_TIMEOUT_MS = 2_000;

/** Does a Docker engine answer here? Never throws; says why not (callers skip virtual tests with it). */
export async function dockerAvailable(docker: Dockerode = new Dockerode()): Promise<DockerStatus> {
  // A missing socket fails at once (ENOENT); a wedged daemon never answers, so bound the wait and
  // abort the request, or its open socket would keep the process alive.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
  try {
    // dockerode's ping takes { abortSignal }; @types/dockerode only declares ping().
    const ping = docker.ping.bind(docker) as unknown as (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
    await ping({ abortSignal: abort.signal });
    return { ok: true };
  } catch (error) {
    const why = abort.signal.aborted ? (abort.signal.reason as Error).message : (error as Error).message;
    return { ok: false, reason: `no Docker engine answers (${why}); run scripts/ensure-docker.sh as root, or start Docker` };
  } finally {
    clearTimeout(timer);
  }
}

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode;

/** The engine went away (stopped, socket removed) while we talked to it. */
const engineGone = (error: unknown) => ['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes((error as NodeJS.ErrnoException).code ?? '');

/** Polls until the container no longer exists (bounded: a stuck removal then surfaces as a 403 below). */
async function untilGone(docker: Dockerode, id: string, timeoutMs = 10_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; ) {
    try {
      await docker.getContainer(id).inspect();
    } catch (error) {
      if (statusOf(error) === 404) return;
      throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface SweepOptions {
  /** Only this system's resources. */
  systemId?: string;
  /** Only resources whose owning process is gone (safe while other runs are in progress). */
  orphansOnly?: boolean;
  docker?: Dockerode;
}

/**
 * Force-removes the labelled containers, then the labelled networks (a network with containers still
 * attached cannot be removed). Returns how many this call removed. No engine: zeros, no throw. Any
 * other failure (e.g. a network still used by a container without our labels) throws.
 */
export async function sweepDocker(options: SweepOptions = {}): Promise<{ containers: number; networks: number }> {
  const docker = options.docker ?? new Dockerode();
  const removed = { containers: 0, networks: 0 };
  if (!(await dockerAvailable(docker)).ok) return removed;
  const label = [options.systemId ? `${SYSTEM_LABEL}=${options.systemId}` : PROJECT_LABEL];
  const wanted = (labels: Record<string, string> | undefined) => !options.orphansOnly || ownerIsGone(labels?.[OWNER_LABEL]);
  try {
    const containers = (await docker.listContainers({ all: true, filters: { label } })).filter((c) => wanted(c.Labels));
    await Promise.all(
      containers.map(async (c) => {
        try {
          await docker.getContainer(c.Id).remove({ force: true, v: true });
          removed.containers++;
        } catch (error) {
          // 404: already gone. 409: another sweep (or the spawner's own stop) is removing it right now;
          // wait for that, or removing the network below fails with 403 "has active endpoints".
          if (statusOf(error) === 409) await untilGone(docker, c.Id);
          else if (statusOf(error) !== 404) throw error;
        }
      }),
    );
    const networks = (await docker.listNetworks({ filters: { label } })).filter((n) => wanted(n.Labels));
    await Promise.all(
      networks.map(async (n) => {
        try {
          await docker.getNetwork(n.Id).remove();
          removed.networks++;
        } catch (error) {
          if (statusOf(error) !== 404) throw error; // 403 "has active endpoints" must not pass silently
        }
      }),
    );
  } catch (error) {
    if (!engineGone(error)) throw error;
  }
  return removed;
}
