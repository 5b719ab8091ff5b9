/**
 * Which base image machines are built on. DOCKER_BASE_IMAGE when set; else a suitable local image
 * made for DistZero (scripts/docker-base-image.sh labels what it builds with the node version it
 * holds), so a newcomer whose CI run built the offline image needs to export nothing; else the
 * public node image, pulled when missing.
 */
import type Dockerode from 'dockerode';

/** The label scripts/docker-base-image.sh puts on its image: the node version inside (`v20.20.2`). */
export const BASE_NODE_LABEL = 'distzero.base-node';
/** Where machine images go. They are never bases, not even those built before they cleared the label. */
export const MACHINE_IMAGE_REPO = 'distzero-machine';
/** What every machine image is labelled with, untagged copies included (for pruning; see machine-image.ts). */
export const MACHINE_IMAGE_LABEL = 'distzero.machine-image';
/** Used when nothing is configured and no labelled image is here (needs a registry). */
export const PUBLIC_BASE_IMAGE = 'node:20-bookworm-slim';
/** The machine bundle targets node 20 (see bundle.ts): an older node inside cannot run it. */
const MIN_NODE_MAJOR = 20;

export interface BaseImage {
  image: string;
  /** How it was chosen, for the log and for error messages. */
  source: 'DOCKER_BASE_IMAGE' | 'local label' | 'public default';
}

const major = (version: string) => Number(/^v?(\d+)\./.exec(version)?.[1] ?? NaN);

/**
 * Among local images labelled BASE_NODE_LABEL, the best: the host's own node version first (the
 * bundle then runs on exactly the node it was tested with), then the newest node, then the newest
 * image. Machine images are left out: an image inherits its base's labels, and machine images
 * built on machine images stack every old bundle until the engine refuses ("max depth exceeded").
 */
export function pickLabelledImage(images: readonly Dockerode.ImageInfo[], hostNode: string): string | undefined {
  const candidates = images
    .map((info) => ({ info, node: info.Labels?.[BASE_NODE_LABEL] ?? '', tag: info.RepoTags?.find((t) => t !== '<none>:<none>' && !t.startsWith(`${MACHINE_IMAGE_REPO}:`)) }))
    .filter((c): c is typeof c & { tag: string } => c.tag !== undefined && major(c.node) >= MIN_NODE_MAJOR);
  candidates.sort(
    (a, b) =>
      Number(b.node === hostNode) - Number(a.node === hostNode) ||
      major(b.node) - major(a.node) ||
      b.info.Created - a.info.Created,
  );
  return candidates[0]?.tag;
}

export async function resolveBaseImage(docker: Dockerode, configured: string | undefined): Promise<BaseImage> {
  if (configured) return { image: configured, source: 'DOCKER_BASE_IMAGE' };
  const labelled = await docker.listImages({ filters: { label: [BASE_NODE_LABEL] } });
  const image = pickLabelledImage(labelled, process.version);
  return image ? { image, source: 'local label' } : { image: PUBLIC_BASE_IMAGE, source: 'public default' };
}
