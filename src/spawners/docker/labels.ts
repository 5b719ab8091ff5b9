import os from 'node:os';

/** Labels on every container and network DistZero makes, so cleanup and sweeps can find them. */
export const PROJECT_LABEL = 'distzero';
export const SYSTEM_LABEL = 'distzero.system';
export const MACHINE_LABEL = 'distzero.machine';

/** Which process made it (`host:pid`): a sweep of orphans removes only what a dead process left. */
export const OWNER_LABEL = 'distzero.owner';

export const ownerId = (): string => `${os.hostname()}:${process.pid}`;

export function systemLabels(systemId: string): Record<string, string> {
  return { [PROJECT_LABEL]: 'true', [SYSTEM_LABEL]: systemId, [OWNER_LABEL]: ownerId() };
}

/** Is the process named by an owner label gone? (Owners on other hosts are never presumed dead.) */
export function ownerIsGone(owner: string | undefined): boolean {
  if (!owner) return true;
  const [host, pid] = owner.split(':');
  if (host !== os.hostname()) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
