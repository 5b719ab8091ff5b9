/**
 * How a stock instance becomes a DistZero machine without SSH: its user data writes the boot loader
 * (boot-loader.cjs) and starts it with the system secret; the spawner then sends one authenticated
 * install message carrying the bundled runner and the machine's identity. The loader stays as the
 * runner's supervisor, crashing and restarting it on its control port (see loader-client.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bundle } from '../../runtime/bundle.ts';

const loaderSource = () => fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'boot-loader.cjs'), 'utf8');

export interface InstallMessage {
  type: 'install';
  /** The machine's environment (identity, secret, ports, logging): see machineSettingsSchema. */
  env: Record<string, string>;
  bundle: string;
  sha256: string;
}

/** The loader's control port: next to the API port, so one security group rule range opens both. */
export const controlPortOf = (apiPort: number): number => apiPort + 1;

/** User data (a shell script) for every instance of one system. */
export function renderUserData(options: { secret: string; apiPort: number; controlPort: number; maxMessageBytes: number; smallFrameBytes: number }): string {
  const loader = loaderSource();
  if (loader.includes('DISTZERO_LOADER_EOF')) throw new Error('the loader must not contain its heredoc terminator');
  return [
    '#!/bin/sh',
    '# DistZero machine boot: start the loader that receives the runner (see boot-loader.cjs).',
    'mkdir -p /opt/distzero /var/log/distzero',
    // Stock images without node: try the distribution's package (Amazon Linux 2023, Debian/Ubuntu).
    'command -v node >/dev/null 2>&1 || dnf install -y nodejs20 >/dev/null 2>&1 || dnf install -y nodejs >/dev/null 2>&1 || (apt-get update && apt-get install -y nodejs) >/dev/null 2>&1',
    'NODE=$(command -v node || command -v node-20)',
    "cat > /opt/distzero/loader.cjs <<'DISTZERO_LOADER_EOF'",
    loader.trimEnd(),
    'DISTZERO_LOADER_EOF',
    `(umask 077 && printf '%s' '${JSON.stringify({ secret: options.secret, apiPort: options.apiPort, controlPort: options.controlPort, maxMessageBytes: options.maxMessageBytes, smallFrameBytes: options.smallFrameBytes, home: '/opt/distzero' })}' > /opt/distzero/loader.json)`,
    '"$NODE" /opt/distzero/loader.cjs /opt/distzero/loader.json >>/var/log/distzero/loader.log 2>&1 &',
    '',
  ].join('\n');
}

export function installMessage(bundle: Bundle, env: Record<string, string>): InstallMessage {
  const content = fs.readFileSync(bundle.file);
  return { type: 'install', env, bundle: content.toString('base64'), sha256: bundle.sha256 };
}
