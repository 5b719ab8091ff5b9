/**
 * The machine image: the base image (node 20+ and /bin/sh; see base-image.ts) plus the bundled
 * runner. Its tag is derived from the bundle (runner and the project's node kinds) and the base, so
 * an unchanged bundle is never rebuilt. A build that fails is not tried again in the same run: the
 * failure is kept in memory for this process and in a marker file for the run's other workers, so
 * every later test fails at once with the same message instead of retrying a registry each time.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { bundleMachine } from '../../runtime/bundle.ts';
import { runId } from '../../settings.ts';
import { BASE_NODE_LABEL, MACHINE_IMAGE_LABEL, MACHINE_IMAGE_REPO, PUBLIC_BASE_IMAGE, resolveBaseImage, type BaseImage } from './base-image.ts';

/** Per process: the build (or its failure), once per configured base, build directory and systems module. */
const built = new Map<string, Promise<string>>();

/**
 * The image for `systemsModule`'s registry: built once per process and content, tried once per
 * run, and built again if it went meanwhile (another run's setup prunes old machine images, and
 * this run may be using one built long ago).
 */
export async function machineImage(docker: Dockerode, configuredBase: string | undefined, buildDir: string, systemsModule: string): Promise<string> {
  const key = `${configuredBase ?? ''}@${buildDir}@${systemsModule}`;
  const known = built.get(key);
  if (known) {
    const tag = await known;
    if (await imageExists(docker, tag)) return tag;
  }
  const image = buildOncePerRun(docker, configuredBase, buildDir, systemsModule);
  built.set(key, image);
  return image;
}

/**
 * The machine image cannot be built: a setting or this host's setup to fix, not a bug in the code
 * that met it, so it carries its one message and no stack trace (every virtual test of the run
 * reports it; a stack in each would bury the fix).
 */
export class MachineImageError extends Error {
  override name = 'MachineImageError';
  constructor(message: string) {
    super(message);
    this.stack = `${this.name}: ${message}`;
  }
}

/** The run's marker of a failed build: its other workers read it instead of building again. */
export const failureMarker = (buildDir: string, run: string) => path.join(buildDir, `failed-build-${run}.txt`);

async function buildOncePerRun(docker: Dockerode, configuredBase: string | undefined, buildDir: string, systemsModule: string): Promise<string> {
  const run = runId();
  const marker = run ? failureMarker(buildDir, run) : undefined;
  if (marker && fs.existsSync(marker)) {
    throw new MachineImageError(`${fs.readFileSync(marker, 'utf8')} (failed earlier in this run; not tried again until the next run)`);
  }
  try {
    return await buildMachineImage(docker, await resolveBaseImage(docker, configuredBase), buildDir, systemsModule);
  } catch (error) {
    const message = `machine image not built: ${(error as Error).message}`;
    if (marker) {
      fs.mkdirSync(buildDir, { recursive: true });
      fs.writeFileSync(marker, message);
    }
    throw new MachineImageError(message);
  }
}

const imageExists = (docker: Dockerode, name: string): Promise<boolean> =>
  docker
    .getImage(name)
    .inspect()
    .then(() => true)
    .catch(() => false);

async function buildMachineImage(docker: Dockerode, base: BaseImage, buildDir: string, systemsModule: string): Promise<string> {
  const baseImage = base.image;
  // A build context of this process's own: a parallel worker rewriting it mid-build would corrupt the image.
  const context = path.join(buildDir, `machine-image-${process.pid}`);
  fs.mkdirSync(context, { recursive: true });
  const bundle = await bundleMachine(systemsModule, path.join(context, 'machine.cjs'));
  const dockerfile = [
    `FROM ${baseImage}`,
    // An image inherits its base's labels: cleared, so a machine image is never taken for a base
    // (each build would otherwise stack on the last machine image, every old bundle inside). Its
    // own label finds it for pruning, untagged copies included.
    `LABEL ${BASE_NODE_LABEL}="" ${MACHINE_IMAGE_LABEL}="1"`,
    'COPY machine.cjs /opt/distzero/machine.cjs',
    'WORKDIR /opt/distzero',
    'CMD ["node", "/opt/distzero/machine.cjs"]',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(context, 'Dockerfile'), dockerfile);
  const tag = `${MACHINE_IMAGE_REPO}:${createHash('sha256').update(bundle.sha256).update(dockerfile).digest('hex').slice(0, 16)}`;
  if (!(await imageExists(docker, tag))) {
    if (!(await imageExists(docker, baseImage))) {
      try {
        await streamLines(docker, await docker.pull(baseImage));
      } catch (error) {
        const why = base.source === 'public default' ? `no local image is labelled distzero.base-node and ${PUBLIC_BASE_IMAGE}` : `${base.source} ${baseImage}`;
        throw new Error(
          `base image: ${why} is not here and cannot be pulled (${(error as Error).message}). Offline, build one with \`bash scripts/docker-base-image.sh\` (it is then found by its label), or set DOCKER_BASE_IMAGE to an image with node 20+ and /bin/sh`,
        );
      }
    }
    await buildImage(docker, context, ['Dockerfile', 'machine.cjs'], tag);
  }
  return tag;
}

/** One line of the engine's progress stream (a pull's or a build's): its progress, or what went wrong. */
interface StreamLine {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** Every line of a progress stream, once it ends (rejects when the stream itself breaks). */
function streamLines(docker: Dockerode, stream: NodeJS.ReadableStream): Promise<StreamLine[]> {
  return new Promise((resolve, reject) => docker.modem.followProgress(stream, (error, lines: StreamLine[]) => (error ? reject(error) : resolve(lines))));
}

/**
 * Build `files` of `context` as `tag`, reading the engine's build stream: an error in it is the
 * build's error, in the engine's words (testcontainers' build says only "Failed to build image").
 * The run's other workers may build the same tag at the same time: when ours fails but the tag
 * is there, theirs is taken; otherwise it is tried once more before the run gives up on it.
 */
export async function buildImage(docker: Dockerode, context: string, files: string[], tag: string): Promise<void> {
  let failure: Error | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    failure = undefined;
    try {
      // forcerm: a step that fails leaves no intermediate container behind (rm alone keeps it).
      const lines = await streamLines(docker, await docker.buildImage({ context, src: files }, { t: tag, forcerm: true }));
      const failed = lines.find((line) => line.error !== undefined || line.errorDetail !== undefined);
      if (failed) throw new Error(`docker build of ${tag}: ${failed.errorDetail?.message ?? failed.error}`);
    } catch (error) {
      failure = error as Error;
    }
    if (await imageExists(docker, tag)) return;
    failure ??= new Error(`docker build of ${tag} reported no error, but the image is not there`);
  }
  throw failure!;
}

/**
 * Machine images (labelled `label`) other than the `keep` newest tagged ones, and used by no
 * container, are removed: every change to a project's nodes makes a new one (about 110 MB), and
 * two workers building one tag at once leave an untagged copy. The newest stay, so going back to
 * a recent bundle does not rebuild. Returns how many went. (`label` is a parameter for the spec
 * of this, which must not touch the run's own images.)
 */
export async function pruneMachineImages(docker: Dockerode, keep: number, label = MACHINE_IMAGE_LABEL): Promise<number> {
  const images = await docker.listImages({ all: false, filters: { label: [label] } });
  const tagged = (image: Dockerode.ImageInfo) => (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>');
  const newest = images.filter((image) => tagged(image).length > 0).sort((a, b) => b.Created - a.Created).slice(0, keep);
  let removed = 0;
  for (const image of images) {
    if (newest.includes(image)) continue;
    try {
      // Unforced: the engine refuses an image any container uses, running or not. By tag, so an
      // image also tagged elsewhere keeps that tag; an untagged copy by its id.
      const tags = tagged(image);
      if (tags.length === 0) await docker.getImage(image.Id).remove();
      for (const tag of tags) await docker.getImage(tag).remove();
      removed++;
    } catch {
      // In use, or removed meanwhile by another run's setup: it stays, or is gone.
    }
  }
  return removed;
}
