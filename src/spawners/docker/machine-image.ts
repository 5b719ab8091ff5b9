/**
 * The machine image: the configured base image (node 20+ and /bin/sh) plus the bundled runner. Its
 * tag is derived from the bundle (runner and the project's node kinds) and the base, so an unchanged
 * bundle is never rebuilt.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { GenericContainer } from 'testcontainers';
import { bundleMachine } from '../../runtime/bundle.ts';

const built = new Map<string, Promise<string>>();

/** The image for `systemsModule`'s registry on `baseImage`: built once per process and content. */
export function machineImage(docker: Dockerode, baseImage: string, buildDir: string, systemsModule: string): Promise<string> {
  const key = `${baseImage}@${buildDir}@${systemsModule}`;
  let image = built.get(key);
  if (!image) {
    image = buildMachineImage(docker, baseImage, buildDir, systemsModule);
    built.set(key, image);
    image.catch(() => built.delete(key));
  }
  return image;
}

const imageExists = (docker: Dockerode, name: string): Promise<boolean> =>
  docker
    .getImage(name)
    .inspect()
    .then(() => true)
    .catch(() => false);

async function buildMachineImage(docker: Dockerode, baseImage: string, buildDir: string, systemsModule: string): Promise<string> {
  // A build context of this process's own: a parallel worker rewriting it mid-build would corrupt the image.
  const context = path.join(buildDir, `machine-image-${process.pid}`);
  fs.mkdirSync(context, { recursive: true });
  const bundle = await bundleMachine(systemsModule, path.join(context, 'machine.cjs'));
  const dockerfile = [
    `FROM ${baseImage}`,
    'COPY machine.cjs /opt/distzero/machine.cjs',
    'WORKDIR /opt/distzero',
    'CMD ["node", "/opt/distzero/machine.cjs"]',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(context, 'Dockerfile'), dockerfile);
  const tag = `distzero-machine:${createHash('sha256').update(bundle.sha256).update(dockerfile).digest('hex').slice(0, 16)}`;
  if (!(await imageExists(docker, tag))) {
    if (!(await imageExists(docker, baseImage))) {
      try {
        await docker.pull(baseImage).then((stream: NodeJS.ReadableStream) => new Promise((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve(undefined)))));
      } catch (error) {
        throw new Error(
          `base image ${baseImage} is not here and cannot be pulled (${(error as Error).message}). Offline, build one with scripts/docker-base-image.sh and set DOCKER_BASE_IMAGE=dz-node-base:latest`,
        );
      }
    }
    await GenericContainer.fromDockerfile(context).build(tag, { deleteOnExit: false });
  }
  return tag;
}
