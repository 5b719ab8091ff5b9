/** Loading a project's systems module: its default export is the registry (`defineSystems(...)`). */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Registry } from '../nodes/kinds.ts';
import type { Systems } from './spawner.ts';

export async function loadSystems(modulePath: string): Promise<Systems> {
  const module = path.resolve(modulePath);
  if (!fs.existsSync(module)) throw new Error(`the systems module ${module} does not exist (set the \`systems\` option in your playwright config)`);
  const exported = ((await import(pathToFileURL(module).href)) as { default?: unknown }).default;
  if (!(exported instanceof Registry)) throw new Error(`the systems module ${module} must \`export default defineSystems(...)\``);
  return { registry: exported, module };
}
