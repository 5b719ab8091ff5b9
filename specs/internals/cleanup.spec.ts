import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import Dockerode from 'dockerode';
import { expect, test } from '../../fixtures/index.ts';
import { OWNER_LABEL, PROJECT_LABEL, ownerIsGone } from '../../src/spawners/docker/labels.ts';
import { dockerAvailable, sweepDocker } from '../../src/spawners/docker/sweep.ts';
import { childEnvironment } from '../../src/settings.ts';

/** DistZero containers and networks whose owning process is gone: what a killed run leaves. */
async function orphans(docker: Dockerode) {
  const label = [PROJECT_LABEL];
  const containers = (await docker.listContainers({ all: true, filters: { label } })).filter((c) => ownerIsGone(c.Labels[OWNER_LABEL]));
  const networks = (await docker.listNetworks({ filters: { label } })).filter((n) => ownerIsGone(n.Labels?.[OWNER_LABEL]));
  return { containers: containers.length, networks: networks.length };
}

/** Parent pid of the process named by an owner label (`host:pid`) on this host, if it is alive. */
function parentOf(owner: string | undefined): number | undefined {
  const [host, pid] = (owner ?? '').split(':');
  if (host !== os.hostname()) return undefined;
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid ..." — comm may hold spaces, so split after ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * Start a separate Playwright run of a virtual test in its own process group (as a terminal would),
 * and once it has containers up, send `signal` to the whole group. Returns the nested run's containers.
 */
async function killRunMidway(docker: Dockerode, signal: NodeJS.Signals, outputDir: string): Promise<string[]> {
  const seen = new Set<string>();
  const run = spawn(process.execPath, ['node_modules/@playwright/test/cli.js', 'test', '--project=virtual', '-g', 'ten users', '--reporter=line', `--output=${outputDir}`], {
    detached: true,
    stdio: 'ignore',
    env: childEnvironment({}),
  });
  const exited = new Promise<void>((resolve) => run.on('exit', () => resolve()));
  try {
    await expect
      .poll(
        async () => {
          const containers = await docker.listContainers({ all: true, filters: { label: [PROJECT_LABEL] } });
          // The nested run's containers are owned by its workers: children of the runner we started.
          for (const c of containers) if (parentOf(c.Labels[OWNER_LABEL]) === run.pid) seen.add(c.Id);
          return seen.size;
        },
        { timeout: 60_000, intervals: [100] },
      )
      .toBeGreaterThan(0);
    process.kill(-run.pid!, signal);
    await exited;
  } finally {
    if (run.exitCode === null && run.signalCode === null) process.kill(-run.pid!, 'SIGKILL');
  }
  return [...seen];
}

test.describe('cleanup', () => {
  // One nested run at a time, so each test knows which containers are its nested run's.
  test.describe.configure({ mode: 'serial' });
  for (const signal of ['SIGINT', 'SIGKILL'] as const) {
    test(`a run killed midway with ${signal} leaves nothing after the sweep`, { tag: '@virtual' }, async ({}, testInfo) => {
      test.setTimeout(120_000);
      const status = await dockerAvailable();
      test.skip(!status.ok, status.ok ? '' : status.reason);
      const docker = new Dockerode();
      const nested = await killRunMidway(docker, signal, testInfo.outputPath('nested'));
      // A SIGKILLed run has no chance to clean up: once its workers have really died, every container
      // it left is an orphan for a sweep to find. (Another spec's nested run, starting or ending
      // meanwhile, sweeps orphans too: one already gone was found by that sweep.)
      if (signal === 'SIGKILL') {
        await expect
          .poll(async () => (await docker.listContainers({ all: true, filters: { id: nested } })).filter((c) => !ownerIsGone(c.Labels[OWNER_LABEL])).length, { timeout: 10_000 })
          .toBe(0);
      }
      // The engine may still finish requests the dead run had sent, so sweep until nothing is left.
      await expect
        .poll(
          async () => {
            await sweepDocker({ orphansOnly: true });
            return orphans(docker);
          },
          { timeout: 30_000, intervals: [500] },
        )
        .toEqual({ containers: 0, networks: 0 });
      expect(await docker.listContainers({ all: true, filters: { id: nested } })).toEqual([]);
    });
  }
});
