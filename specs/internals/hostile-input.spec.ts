import dgram from 'node:dgram';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { expect, inModes, test } from '../../fixtures/index.ts';
import { apiResultSchemas } from '../../src/messages/index.ts';
import { FrameSealer, MAC_BYTES, MAX_DATAGRAM_BYTES, lengthPrefixed } from '../../src/runtime/wire.ts';
import { settings } from '../../src/settings.ts';
import { buildSumSystem, seedScenarioUsers, waitForTotals } from '../../systems/sum/scenario.ts';

/** Deterministic "random" bytes, so a failure replays the same garbage. */
function junk(n: number, salt: number): Buffer {
  const out = Buffer.alloc(n);
  let x = 0x9e3779b9 ^ salt;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function sendUdp(target: { host: string; port: number }, datagrams: Buffer[]): Promise<void> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    let left = datagrams.length;
    for (const d of datagrams) {
      socket.send(d, target.port, target.host, (error) => {
        if (error) reject(error);
        if (--left === 0) {
          socket.close();
          resolve();
        }
      });
    }
  });
}

/** Write `bytes` on a fresh TCP connection; return what came back before the peer closed or went quiet. */
function sendTcp(target: { host: string; port: number }, bytes: Buffer, endAfterMs = 300): Promise<Buffer> {
  return new Promise((resolve) => {
    const socket = net.connect(target);
    const got: Buffer[] = [];
    socket.on('data', (d) => got.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(got)));
    socket.on('connect', () => {
      socket.write(bytes);
      setTimeout(() => socket.end(), endAfterMs);
    });
  });
}

test.describe('hostile input', () => {
  inModes(['virtual', 'cloud'], () => {
    test('garbage on both sockets is rejected with reasons and the machine still sums exactly', async ({ system }) => {
      const sum = await buildSumSystem(system, seedScenarioUsers());
      const hub = sum.machines[0]!;
      const wire = system.spawner.wireAccess(hub.id);
      test.skip(!wire, 'this mode has no sockets to attack');
      const { api, udp, secret } = wire!;
      const sealer = new FrameSealer(secret);
      const forged = Buffer.concat([randomBytes(MAC_BYTES), Buffer.from(JSON.stringify({ type: 'ping' }))]);

      // UDP: random bytes, too short for a MAC, a forged MAC, valid MAC over broken JSON, valid MAC over an unknown type, a datagram over MAX_PACKET_BYTES.
      const validMac = (body: string) => sealer.sealBytes(Buffer.from(body));
      await sendUdp(udp, [
        junk(200, 1),
        junk(10, 2),
        Buffer.concat([randomBytes(MAC_BYTES), Buffer.from(JSON.stringify({ type: 'ack', from: 'a', to: 'b', inc: 'x', seq: 1 }))]),
        validMac('{"type":"data","from":'),
        validMac('{"type":"launch_missiles"}'),
        junk(MAX_DATAGRAM_BYTES, 3),
      ]);

      // TCP: random bytes in a frame, a forged MAC, valid MAC over truncated JSON, an unknown request, a frame over the limit.
      expect((await sendTcp(api, lengthPrefixed(junk(500, 4)))).length).toBe(0);
      expect((await sendTcp(api, lengthPrefixed(forged))).length).toBe(0);
      const truncated = await sendTcp(api, lengthPrefixed(validMac('{"type":"get_output_st')));
      expect(truncated.toString()).toContain('malformed_json');
      const unknown = await sendTcp(api, lengthPrefixed(validMac('{"type":"format_disk"}')));
      expect(unknown.toString()).toContain('invalid_message');
      const header = Buffer.alloc(4);
      header.writeUInt32BE(settings.MAX_MESSAGE_BYTES + MAC_BYTES + 1);
      const oversized = await sendTcp(api, Buffer.concat([header, junk(64 * 1024, 5)]), 2_000);
      expect(oversized.length).toBe(0);

      // Still serving: the sum completes exactly, and the machine counted every rejection by reason.
      await waitForTotals(system, sum.outputLeaves, 6, 30_000);
      await system.waitFor(
        async () => {
          const { rejected } = apiResultSchemas.ping.parse(await system.spawner.request(hub.id, { type: 'ping' }));
          return rejected?.bad_mac === 4 && rejected.truncated === 1 && rejected.malformed_json === 2 && rejected.invalid_message === 2 && rejected.oversized === 2;
        },
        { timeoutMs: 10_000, what: 'the hub counts every rejected input by reason' },
      );
      const { rejected } = apiResultSchemas.ping.parse(await system.spawner.request(hub.id, { type: 'ping' }));
      expect(rejected).toEqual({ bad_mac: 4, truncated: 1, malformed_json: 2, invalid_message: 2, oversized: 2 });
    });
  });
});
