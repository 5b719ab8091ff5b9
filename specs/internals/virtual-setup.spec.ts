import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Dockerode from 'dockerode';
import { expect, test } from '../../fixtures/index.ts';
import { runId } from '../../src/settings.ts';
import { BASE_NODE_LABEL, pickLabelledImage, resolveBaseImage } from '../../src/spawners/docker/base-image.ts';
import { MachineImageError, buildImage, failureMarker, machineImage, pruneMachineImages } from '../../src/spawners/docker/machine-image.ts';
import { dockerAvailable } from '../../src/spawners/docker/sweep.ts';
import { MACHINE_LOGS_KEPT_MS, pruneWorkDirs } from '../../src/spawners/prune-workdirs.ts';

const image = (tag: string, node: string | undefined, created: number): Dockerode.ImageInfo =>
  ({ RepoTags: [tag], Labels: node ? { [BASE_NODE_LABEL]: node } : {}, Created: created }) as unknown as Dockerode.ImageInfo;

/** A Docker engine to talk to, or the test is skipped with the reason none answers. */
async function dockerOrSkip(): Promise<Dockerode> {
  const status = await dockerAvailable();
  test.skip(!status.ok, status.ok ? '' : status.reason);
  return new Dockerode();
}

/** A build context in `dir` holding just this Dockerfile (written afresh on each call). */
function dockerfileIn(dir: string, text: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'Dockerfile'), text);
  return dir;
}

/** The error `promise` fails with (a test failure if it succeeds). */
const failureOf = (promise: Promise<unknown>): Promise<Error> =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as Error,
  );

/** A pid no process has any more. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid!;
}

test.describe('a newcomer\'s virtual run', () => {
  test('the base image is found by its label: the host\'s node first, then the newest node; too old a node never', { tag: '@simulated' }, () => {
    const images = [
      image('old:latest', 'v18.20.0', 300),
      image('dz-node-base:v22', 'v22.1.0', 100),
      image('dz-node-base:latest', 'v20.20.2', 50),
      image('<none>:<none>', 'v20.20.2', 400),
      // A machine image made before machine images cleared the label they inherit: never a base.
      image('distzero-machine:0123456789abcdef', 'v20.20.2', 500),
    ];
    expect(pickLabelledImage(images, 'v20.20.2')).toBe('dz-node-base:latest');
    expect(pickLabelledImage(images, 'v24.0.0')).toBe('dz-node-base:v22');
    expect(pickLabelledImage([images[0]!], 'v20.20.2')).toBeUndefined();
    expect(pickLabelledImage([], 'v20.20.2')).toBeUndefined();
  });

  test('old build and machine log directories are pruned; a live process\'s and a live machine\'s are kept', { tag: '@simulated' }, ({}, testInfo) => {
    const dir = testInfo.outputPath('tmp');
    const make = (...parts: string[]) => {
      const full = path.join(dir, ...parts);
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, 'x');
      return full;
    };
    const dead = deadPid();
    make('build', String(dead), 'machine.cjs');
    make('build', `machine-image-${dead}`, 'Dockerfile');
    make('build', `failed-build-${dead}-1700000000000.txt`);
    make('build', String(process.pid), 'machine.cjs');
    make('build', 'notes.txt');
    const old = Date.now() - MACHINE_LOGS_KEPT_MS - 60_000;
    for (const machine of ['old-1', 'live-2']) {
      const file = make('containers', machine, 'logs', 'output.log');
      for (const p of [file, path.dirname(file), path.dirname(path.dirname(file))]) fs.utimesSync(p, old / 1000, old / 1000);
    }
    make('containers', 'recent-3', 'logs', 'output.log');

    expect(pruneWorkDirs(dir, new Set(['live-2']))).toEqual({ build: 3, containers: 1 });
    expect(fs.readdirSync(path.join(dir, 'build')).sort()).toEqual([String(process.pid), 'notes.txt'].sort());
    expect(fs.readdirSync(path.join(dir, 'containers')).sort()).toEqual(['live-2', 'recent-3']);
  });

  test('with DOCKER_BASE_IMAGE unset, machines are built on the local image labelled with its node', { tag: '@virtual' }, async () => {
    const docker = await dockerOrSkip();
    const labelled = await docker.listImages({ filters: { label: [BASE_NODE_LABEL] } });
    test.skip(labelled.length === 0, 'no local image is labelled distzero.base-node here (bash scripts/docker-base-image.sh builds one)');
    const base = await resolveBaseImage(docker, undefined);
    expect(base.source).toBe('local label');
    const info = await docker.getImage(base.image).inspect();
    expect(info.Config.Labels?.[BASE_NODE_LABEL]).toMatch(/^v\d+\./);
    // A configured image always wins.
    expect(await resolveBaseImage(docker, 'mine:1')).toEqual({ image: 'mine:1', source: 'DOCKER_BASE_IMAGE' });
  });

  test('a machine image is never taken for a base: the next build stands on the same base, not on the last machine image', { tag: '@virtual' }, async ({}, testInfo) => {
    const docker = await dockerOrSkip();
    const before = await resolveBaseImage(docker, undefined);
    test.skip(before.source !== 'local label', 'no local image is labelled distzero.base-node here (bash scripts/docker-base-image.sh builds one)');
    // The newest image of all, built now from a bundle of its own (its own build directory).
    const tag = await machineImage(docker, undefined, testInfo.outputPath('build'), path.resolve('distzero.config.ts'));
    expect(await resolveBaseImage(docker, undefined)).toEqual(before);
    const info = await docker.getImage(tag).inspect();
    expect(info.Config.Labels?.[BASE_NODE_LABEL] ?? '').toBe('');
  });

  test('a machine image removed while a run uses it is built again', { tag: '@virtual' }, async ({}, testInfo) => {
    const docker = await dockerOrSkip();
    // A systems module whose bundle differs from the run's, so removing its image leaves the run's alone.
    const variant = testInfo.outputPath('variant-systems.ts');
    fs.mkdirSync(path.dirname(variant), { recursive: true });
    fs.writeFileSync(
      variant,
      `import systems from ${JSON.stringify(path.resolve('distzero.config.ts'))};\n(globalThis as { variant?: number }).variant = ${process.pid};\nexport default systems;\n`,
    );
    const buildDir = testInfo.outputPath('build');
    const tag = await machineImage(docker, undefined, buildDir, variant);
    try {
      await docker.getImage(tag).remove();
      expect(await machineImage(docker, undefined, buildDir, variant)).toBe(tag);
      expect((await docker.getImage(tag).inspect()).RepoTags).toContain(tag);
    } finally {
      await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
    }
  });

  test('a build that fails says why, as the engine puts it; a tag already built stands', { tag: '@virtual' }, async ({}, testInfo) => {
    const docker = await dockerOrSkip();
    const base = await resolveBaseImage(docker, undefined);
    const context = testInfo.outputPath('context');
    const broken = `FROM ${base.image}\nCOPY not-in-the-context.txt /opt/\n`;
    dockerfileIn(context, broken);
    const tag = `distzero-broken-build:${process.pid}`;
    const failed = await failureOf(buildImage(docker, context, ['Dockerfile'], tag));
    expect(failed.message).toMatch(new RegExp(`^docker build of ${tag}: .*not-in-the-context\\.txt`));
    // A step that fails inside a container: its reason, and no container left behind.
    const marker = `failing-step-${process.pid}`;
    const failedStep = await failureOf(buildImage(docker, dockerfileIn(context, `FROM ${base.image}\nRUN echo ${marker} && exit 3\n`), ['Dockerfile'], tag));
    expect(failedStep.message).toMatch(/returned a non-zero code: 3/);
    expect((await docker.listContainers({ all: true })).filter((c) => c.Command.includes(marker))).toEqual([]);
    // What a parallel worker sees when the other's build of the same tag got there first: done.
    await buildImage(docker, dockerfileIn(context, `FROM ${base.image}\n`), ['Dockerfile'], tag);
    try {
      await buildImage(docker, dockerfileIn(context, broken), ['Dockerfile'], tag);
    } finally {
      await docker.getImage(tag).remove({ force: true });
    }
  });

  test('old machine images go, untagged copies too; the newest and any a container uses stay', { tag: '@virtual' }, async ({}, testInfo) => {
    const docker = await dockerOrSkip();
    const base = await resolveBaseImage(docker, undefined);
    // A label and repository of this test's own: the run's machine images are not touched.
    const label = `distzero-prune-test-${process.pid}`;
    const repo = label;
    const build = async (tag: string, variant: string) => {
      await buildImage(docker, dockerfileIn(testInfo.outputPath('context'), `FROM ${base.image}\nLABEL ${label}=1 variant=${variant}\n`), ['Dockerfile'], tag);
      // Image creation times are in whole seconds: one apart, so "newest" is well defined.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      return (await docker.getImage(tag).inspect()).Id;
    };
    const ids = [await build(`${repo}:0`, 'a'), await build(`${repo}:1`, 'b')];
    // A second build of one tag: the first becomes an untagged copy, as when two workers race.
    const untagged = await build(`${repo}:2`, 'c');
    ids.push(await build(`${repo}:2`, 'd'), await build(`${repo}:3`, 'e'));
    // The oldest is used by a (created, never started) container.
    const user = await docker.createContainer({ Image: `${repo}:0`, Cmd: ['node', '-e', ''] });
    try {
      expect(await pruneMachineImages(docker, 2, label)).toBe(2);
      const left = (await docker.listImages({ filters: { label: [label] } })).map((image) => image.Id).sort();
      expect(left).toEqual([ids[0], ids[2], ids[3]].sort());
      expect(left).not.toContain(untagged);
    } finally {
      await user.remove({ force: true });
      for (const id of [...ids, untagged]) await docker.getImage(id).remove({ force: true }).catch(() => undefined);
    }
  });

  test('a failed machine image build is tried once per run: later tests fail at once with its message', { tag: '@virtual' }, async ({}, testInfo) => {
    const docker = await dockerOrSkip();
    const run = runId();
    expect(run, 'the run id given by global setup').toBeTruthy();
    // A build directory of this test's own: the run's real marker would fail every later virtual test.
    const buildDir = testInfo.outputPath('build');
    const systemsModule = path.resolve('distzero.config.ts');
    const first = await failureOf(machineImage(docker, 'distzero-no-such-base:never', buildDir, systemsModule));
    expect(first).toBeInstanceOf(MachineImageError);
    expect(first.message).toMatch(/^machine image not built: base image: DOCKER_BASE_IMAGE distzero-no-such-base:never is not here and cannot be pulled/);
    expect(first.stack, 'a setup problem: its message, no stack trace').toBe(`MachineImageError: ${first.message}`);
    expect(fs.readFileSync(failureMarker(buildDir, run!), 'utf8')).toBe(first.message);
    // Another worker of the run (here: another base, so nothing is shared in memory) reads the marker.
    const started = Date.now();
    const again = await failureOf(machineImage(docker, 'distzero-other-base:never', buildDir, systemsModule));
    expect(again.message).toBe(`${first.message} (failed earlier in this run; not tried again until the next run)`);
    expect(Date.now() - started).toBeLessThan(500);
  });
});
