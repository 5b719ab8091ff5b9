/**
 * Removes DistZero's containers and networks by label: one system's at teardown, or everything a
 * crashed or killed run left behind (`npm run clean:docker`, and the suite's global setup).
 */
import Dockerode from 'dockerode';
import { OWNER_LABEL, PROJECT_LABEL, SYSTEM_LABEL, ownerIsGone } from './labels.ts';

export type DockerStatus = { ok: true } | { ok: false; reason: string };

/** Does a Docker engine answer here? Never throws; says why not. */
export async function dockerAvailable(docker: Dockerode = new Dockerode()): Promise<DockerStatus> {
  try {
    await Promise.race([docker.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 3 s')), 3_000).unref())]);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `no Docker engine answers (${(error as Error).message}); run scripts/ensure-docker.sh as root, or start Docker` };
  }
}

const isGone = (error: unknown) => {
  const status = (error as { statusCode?: number }).statusCode;
  return status === 404 || status === 409; // already removed, or removal already in progress
};

export interface SweepOptions {
  /** Only this system's resources. */
  systemId?: string;
  /** Only resources whose owning process is gone (safe while other runs are in progress). */
  orphansOnly?: boolean;
  docker?: Dockerode;
}

export async function sweepDocker(options: SweepOptions = {}): Promise<{ containers: number; networks: number }> {
  const docker = options.docker ?? new Dockerode();
  if (!(await dockerAvailable(docker)).ok) return { containers: 0, networks: 0 };
  const label = [options.systemId ? `${SYSTEM_LABEL}=${options.systemId}` : PROJECT_LABEL];
  const wanted = (labels: Record<string, string> | undefined) => !options.orphansOnly || ownerIsGone(labels?.[OWNER_LABEL]);
  const containers = (await docker.listContainers({ all: true, filters: { label } })).filter((c) => wanted(c.Labels));
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch((error: unknown) => {
          if (!isGone(error)) throw error;
        }),
    ),
  );
  const networks = (await docker.listNetworks({ filters: { label } })).filter((n) => wanted(n.Labels));
  await Promise.all(
    networks.map((n) =>
      docker
        .getNetwork(n.Id)
        .remove()
        .catch((error: unknown) => {
          if (!isGone(error)) throw error;
        }),
    ),
  );
  return { containers: containers.length, networks: networks.length };
}
