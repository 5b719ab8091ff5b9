import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '../../fixtures/index.ts';
import { FrameKind, FrameSealer, newSystemSecret, lengthPrefixed } from '../../src/runtime/wire.ts';
import type { InstallMessage } from '../../src/spawners/cloud/boot.ts';
import { callLoader, type LoaderEndpoint } from '../../src/spawners/cloud/loader-client.ts';

const loaderFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/spawners/cloud/boot-loader.cjs');

/** A port free right now (the loader and its runner take it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** What the runner's API port says: the pid of the process behind it, or '' when nothing listens. */
function whoAnswers(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(''));
  });
}

/** Bytes written on a fresh connection; what came back before the loader closed it. */
function raw(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
    const got: Buffer[] = [];
    socket.on('data', (d) => got.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(got)));
    setTimeout(() => socket.end(), 1_000);
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// The loader run as the user data runs it, on this host, with a stand-in runner that answers its
// own pid on the API port: the crash and restart path without an instance.
test.describe('boot loader', () => {
  let loader: ChildProcess | undefined;
  let home: string;
  test.afterEach(() => {
    loader?.kill('SIGKILL');
    const pid = Number(fs.existsSync(path.join(home, 'pid')) ? fs.readFileSync(path.join(home, 'pid'), 'utf8') : 0);
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('installs the runner, then crashes it (SIGKILL) and restarts it on its control port; refuses everything else', { tag: '@cloud' }, async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'dz-loader-'));
    const secret = newSystemSecret();
    const [apiPort, controlPort] = [await freePort(), await freePort()];
    fs.writeFileSync(path.join(home, 'loader.json'), JSON.stringify({ secret, apiPort, controlPort, maxMessageBytes: 1_000_000, smallFrameBytes: 4096, home }));
    loader = spawn(process.execPath, [loaderFile, path.join(home, 'loader.json')], { stdio: 'ignore' });
    const at = (port: number): LoaderEndpoint => ({ host: '127.0.0.1', port, secret, maxMessageBytes: 1_000_000, machineId: 'm', smallFrameBytes: 4096 });
    const call = (port: number, message: Parameters<typeof callLoader>[1]) => callLoader(at(port), message, { machine: 'm', timeoutMs: 5_000 });

    const runner = Buffer.from(
      `require('fs').writeFileSync(${JSON.stringify(path.join(home, 'pid'))}, String(process.pid));` +
        `require('net').createServer((s) => s.end(String(process.pid))).listen(Number(process.env.MACHINE_API_PORT), '127.0.0.1');`,
    );
    const install: InstallMessage = {
      type: 'install',
      env: { MACHINE_API_PORT: String(apiPort), DZ_MACHINE_ID: 'm' },
      bundle: runner.toString('base64'),
      sha256: createHash('sha256').update(runner).digest('hex'),
    };
    // The control port answers from the start, but there is nothing to crash before the install.
    await expect.poll(() => call(controlPort, { type: 'crash' }).catch((e: Error) => e.message), { timeout: 10_000 }).toBe('crash refused: no runner installed');
    expect(await call(apiPort, install)).toMatchObject({ installed: true });
    await expect.poll(() => whoAnswers(apiPort)).toMatch(/^\d+$/);
    const first = Number(await whoAnswers(apiPort));
    expect(alive(first)).toBe(true);

    // Unauthenticated frames are not answered; sealed ones that are not control messages are refused.
    expect(await raw(controlPort, lengthPrefixed(randomBytes(64)))).toHaveLength(0);
    await expect(call(controlPort, install)).rejects.toThrow('install refused: not a control message');
    await expect(call(controlPort, { type: 'restart' })).rejects.toThrow('restart refused: the runner is running');

    // Crash: answered once the runner is dead. The very same sealed frame, replayed, is refused
    // unanswered (it would otherwise kill the restarted runner below).
    const sealer = new FrameSealer(secret);
    // A genuine crash sealed for another machine (replayed from another instance's traffic): refused unanswered.
    expect(await raw(controlPort, lengthPrefixed(sealer.seal(FrameKind.request, { id: 1, to: 'other', request: { type: 'crash' } })))).toHaveLength(0);
    expect(alive(first)).toBe(true);
    const crash = lengthPrefixed(sealer.seal(FrameKind.request, { id: 1, to: 'm', request: { type: 'crash' } }));
    expect((await raw(controlPort, crash)).length).toBeGreaterThan(0);
    expect(alive(first)).toBe(false);
    expect(await whoAnswers(apiPort)).toBe('');
    await expect(call(controlPort, { type: 'crash' })).rejects.toThrow('crash refused: the runner is not running');

    // Restart: the same runner, the same environment, a new process.
    await call(controlPort, { type: 'restart' });
    await expect.poll(() => whoAnswers(apiPort)).toMatch(/^\d+$/);
    const second = Number(await whoAnswers(apiPort));
    expect(second).not.toBe(first);
    expect(alive(second)).toBe(true);
    expect(await raw(controlPort, crash)).toHaveLength(0);
    expect(alive(second)).toBe(true);
  });
});
