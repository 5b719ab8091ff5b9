/**
 * Proof that a UDP address reaches the machine the test means: a sealed probe with a fresh nonce,
 * answered by the machine, sealed, with its id. A published port that leads to another container
 * (or to nothing) fails here, by name, instead of as a silent loss later.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { probeAnswerSchema } from '../messages/index.ts';
import { FrameKind, FrameSealer, ReplayWindows } from '../runtime/wire.ts';

export async function probeUdp(target: { host: string; port: number }, secret: string, machineId: string, options: { attempts?: number; waitMs?: number } = {}): Promise<void> {
  const sealer = new FrameSealer(secret);
  const windows = new ReplayWindows();
  const nonce = randomBytes(12).toString('hex');
  const socket = dgram.createSocket(net.isIPv6(target.host) ? 'udp6' : 'udp4');
  let last = 'no answer';
  try {
    const answered = new Promise<string>((resolve) => {
      socket.on('message', (datagram) => {
        const opened = sealer.open(FrameKind.probeAnswer, datagram, probeAnswerSchema, windows);
        if (!opened.ok) {
          last = `an answer that does not open: ${opened.reason}`;
          return;
        }
        if (opened.value.nonce !== nonce) return;
        resolve(opened.value.machineId);
      });
    });
    socket.on('error', (error) => (last = error.message));
    for (let attempt = 0; attempt < (options.attempts ?? 10); attempt++) {
      socket.send(sealer.seal(FrameKind.probe, { nonce }), target.port, target.host);
      const waitMs = options.waitMs ?? 500;
      const who = await Promise.race([answered, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), waitMs).unref())]);
      if (who === undefined) continue;
      if (who !== machineId) throw new Error(`UDP ${target.host}:${target.port} reaches machine ${who}, not ${machineId}`);
      return;
    }
    throw new Error(`UDP ${target.host}:${target.port} does not answer as machine ${machineId} (${last})`);
  } finally {
    socket.close();
  }
}
