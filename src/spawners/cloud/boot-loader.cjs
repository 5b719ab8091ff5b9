// DistZero boot loader: the only code an instance's user data carries. It listens on the machine's
// API port for ONE install frame sealed with the system secret (the runner's wire format, see
// src/runtime/wire.ts: [u32 length][v2 | kind | sender | counter][AES-256-GCM ciphertext][tag],
// a frame over smallFrameBytes announced first), writes the bundled runner it carries, answers, and
// hands the port over to the runner. It then stays as the runner's supervisor: on its control port
// it takes sealed `crash` (SIGKILL the runner) and `restart` (start it again, same env: it comes
// back from its journal) frames, so crashes need no EC2 call and no reboot. A replayed frame is
// refused like a forged one (a captured `crash` cannot kill the runner twice). No SSH, no download:
// the runner comes from the test process itself. Once installed, frames must name the machine
// (`to`, the install's DZ_MACHINE_ID): a frame sealed for another instance's loader is refused.
// Usage: node loader.cjs <config.json>, the config (secret, apiPort, controlPort, maxMessageBytes,
// smallFrameBytes, home) written by the user data with mode 600: the secret is in neither the
// command line nor the env.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const secret = Buffer.from(config.secret, 'hex');
const port = Number(config.apiPort);
const controlPort = Number(config.controlPort || port + 1);
const HEADER = 18;
const TAG = 16;
const maxFrame = Number(config.maxMessageBytes) + HEADER + TAG;
const smallFrame = Number(config.smallFrameBytes || 65536);
const home = config.home || '/opt/distzero';
const log = (msg) => console.log(`${new Date().toISOString()} distzero-loader: ${msg}`);
const refuse = (name, message) => ({ ok: false, error: { name, message } });
// Rejections are counted by reason and logged without flooding: the first five, then every 100th.
const rejected = {};
function logRejection(what, reason, detail) {
  const n = (rejected[reason] = (rejected[reason] || 0) + 1);
  if (n <= 5 || n % 100 === 0) log(`${what}: rejected input: ${reason}${detail ? ` (${detail})` : ''} [${n} so far]`);
}
// Against whoever reaches the ports: few connections, none kept open long (the test's calls are short).
const MAX_CONNECTIONS = 16;
const IDLE_MS = 30_000;
const KIND = { request: 2, answer: 3, announce: 4 };
const WINDOW = 4096;

// This process as a sender: a random id, a counter per sealed frame, a key per sender.
const self = { id: crypto.randomBytes(8), counter: 0 };
const keyOf = (sender) => Buffer.from(crypto.hkdfSync('sha256', secret, sender, 'distzero frame v2', 32));
const ownKey = keyOf(self.id);
function nonceOf(counter) {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(Math.floor(counter / 2 ** 32), 4);
  nonce.writeUInt32BE(counter >>> 0, 8);
  return nonce;
}

function sealBytes(kind, plaintext) {
  const counter = self.counter++;
  const header = Buffer.alloc(HEADER);
  header[0] = 2;
  header[1] = kind;
  self.id.copy(header, 2);
  header.writeUInt32BE(Math.floor(counter / 2 ** 32), 10);
  header.writeUInt32BE(counter >>> 0, 14);
  const cipher = crypto.createCipheriv('aes-256-gcm', ownKey, nonceOf(counter));
  cipher.setAAD(header);
  const frame = Buffer.concat([header, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(frame.length);
  return Buffer.concat([head, frame]);
}

// An answer, announced first when it is large (the client buffers big frames only when announced).
function seal(value) {
  const body = Buffer.from(JSON.stringify(value));
  const framed = sealBytes(KIND.answer, body);
  if (framed.length - 4 <= smallFrame) return framed;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(framed.length - 4);
  return Buffer.concat([sealBytes(KIND.announce, length), framed]);
}

// Counters seen per sender: the highest and the last WINDOW below it (the loader never restarts
// within a run, so its memory is enough).
const windows = new Map();
function fresh(sender, counter) {
  let w = windows.get(sender);
  if (!w) windows.set(sender, (w = { highest: -1, seen: new Set() }));
  if (counter <= w.highest - WINDOW || w.seen.has(counter)) return false;
  w.seen.add(counter);
  if (counter > w.highest) w.highest = counter;
  for (const c of w.seen) if (c <= w.highest - WINDOW) w.seen.delete(c);
  return true;
}

function open(frame, kind) {
  if (frame.length < HEADER + TAG) return { error: 'truncated' };
  if (frame[0] !== 2 || frame[1] !== kind) return { error: 'bad_header' };
  const sender = frame.subarray(2, 10);
  const counter = frame.readUInt32BE(10) * 2 ** 32 + frame.readUInt32BE(14);
  let plaintext;
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', keyOf(sender), nonceOf(counter));
    decipher.setAAD(frame.subarray(0, HEADER));
    decipher.setAuthTag(frame.subarray(frame.length - TAG));
    plaintext = Buffer.concat([decipher.update(frame.subarray(HEADER, frame.length - TAG)), decipher.final()]);
  } catch (e) {
    return { error: 'bad_mac' };
  }
  if (!fresh(sender.toString('hex'), counter)) return { error: 'replayed' };
  if (kind === KIND.announce) return { value: plaintext.length === 4 ? plaintext.readUInt32BE(0) : -1 };
  try {
    return { value: JSON.parse(plaintext.toString('utf8')) };
  } catch (e) {
    return { error: 'malformed_json' };
  }
}

// A server of sealed frames, numbered as the runner's are: { id, request } in, { id, response } out.
// `handle(request)` resolves to the response; an oversized, unannounced or unauthenticated frame
// closes the connection unanswered. Frames on one connection are answered in order; `once`: one
// frame, then close.
function serve(listenPort, what, once, handle) {
  const server = net.createServer((socket) => {
    let buffered = Buffer.alloc(0);
    let announced = -1;
    let turn = Promise.resolve();
    socket.on('error', () => {});
    socket.setTimeout(IDLE_MS, () => {
      logRejection(what, 'idle_timeout');
      socket.destroy();
    });
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4) {
        const length = buffered.readUInt32BE(0);
        if (length > maxFrame || (length > smallFrame && length !== announced)) {
          logRejection(what, length > maxFrame ? 'oversized' : 'unannounced', `${length} bytes`);
          return socket.destroy();
        }
        if (buffered.length < 4 + length) return;
        const frame = buffered.subarray(4, 4 + length);
        buffered = buffered.subarray(4 + length);
        announced = -1;
        const opened = frame[1] === KIND.announce ? open(frame, KIND.announce) : open(frame, KIND.request);
        if (opened.error) {
          logRejection(what, opened.error);
          return socket.destroy();
        }
        if (frame[1] === KIND.announce) {
          announced = opened.value;
          continue;
        }
        // Genuine but for another machine (a replay of another instance's traffic): refused unanswered.
        if (runner && runner.machineId && opened.value && opened.value.to !== runner.machineId) {
          logRejection(what, 'misdirected', `for ${opened.value.to}`);
          return socket.destroy();
        }
        const id = opened.value && Number.isSafeInteger(opened.value.id) ? opened.value.id : 0;
        const request = opened.value && opened.value.request;
        turn = turn
          .then(() => handle(request))
          .catch((error) => refuse('LoaderError', String(error && error.message)))
          .then((response) => (once ? socket.end(seal({ id, response })) : socket.write(seal({ id, response }))));
        // One frame per connection on the install port: whatever follows is not read.
        if (once) return socket.removeAllListeners('data');
      }
    });
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.listen(listenPort, () => log(`${what} on port ${listenPort}`));
  return server;
}

// The installed runner: its file and environment, kept to start it again; `child` while it runs.
let runner;
let child;

function startRunner() {
  const out = fs.openSync(path.join(home, 'machine.out'), 'a');
  // The runner's whole environment is what the install message said (its identity, secret, ports).
  const started = spawn(process.execPath, [runner.file], { env: runner.env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  child = started;
  // Whether killed by `crash` or dead by itself: it is not running, and `restart` may start it.
  started.exited = new Promise((resolve) =>
    started.once('exit', (code, signal) => {
      if (child === started) child = undefined;
      log(`runner ${started.pid} exited (${signal || code})`);
      resolve();
    }),
  );
  return new Promise((resolve, reject) => {
    started.once('spawn', () => resolve(started.pid));
    started.once('error', (error) => {
      if (child === started) child = undefined;
      reject(error);
    });
  });
}

const install = serve(port, 'waiting for the runner', true, async (msg) => {
  if (!msg || msg.type !== 'install' || typeof msg.bundle !== 'string' || typeof msg.env !== 'object' || runner) {
    return refuse('InvalidInstall', runner ? 'already installed' : 'not an install message');
  }
  const bundle = Buffer.from(msg.bundle, 'base64');
  const digest = crypto.createHash('sha256').update(bundle).digest('hex');
  if (digest !== msg.sha256) return refuse('InvalidInstall', 'bundle digest mismatch');
  fs.mkdirSync(home, { recursive: true });
  runner = { file: path.join(home, 'machine.cjs'), env: msg.env, machineId: msg.env.DZ_MACHINE_ID };
  fs.writeFileSync(runner.file, bundle);
  log(`installed runner ${digest.slice(0, 12)} (${bundle.length} bytes)`);
  // Stop listening (frees the API port for the runner) before it starts; the answer still goes out
  // on this connection, which is then closed: the port is the runner's from now on.
  install.close();
  const pid = await startRunner();
  log(`runner started as pid ${pid}`);
  return { ok: true, result: { installed: true, pid } };
});

serve(controlPort, 'control', false, async (msg) => {
  const type = msg && msg.type;
  if (!runner) return refuse('InvalidControl', 'no runner installed');
  if (type === 'crash') {
    if (!child) return refuse('InvalidControl', 'the runner is not running');
    const dying = child;
    dying.kill('SIGKILL');
    await dying.exited;
    return { ok: true, result: { crashed: dying.pid } };
  }
  if (type === 'restart') {
    if (child) return refuse('InvalidControl', 'the runner is running');
    const pid = await startRunner();
    log(`runner restarted as pid ${pid}`);
    return { ok: true, result: { restarted: pid } };
  }
  return refuse('InvalidControl', 'not a control message');
});
