// DistZero boot loader: the only code an instance's user data carries. It listens on the machine's
// API port for ONE install frame sealed with the system secret ([u32 length][HMAC-SHA256][JSON]),
// writes the bundled runner it carries, answers, and hands the port over to the runner. It then
// stays as the runner's supervisor: on its control port it takes sealed `crash` (SIGKILL the runner)
// and `restart` (start it again, same env: it comes back from its journal) frames, so crashes need
// no EC2 call and no reboot. No SSH, no download: the runner comes from the test process itself.
// Usage: node loader.cjs <config.json>, the config (secret, apiPort, controlPort, maxMessageBytes,
// home) written by the user data with mode 600: the secret is in neither the command line nor the env.
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
const maxFrame = Number(config.maxMessageBytes) + 32;
const home = config.home || '/opt/distzero';
const log = (msg) => console.log(`${new Date().toISOString()} distzero-loader: ${msg}`);
const refuse = (name, message) => ({ ok: false, error: { name, message } });

function seal(value) {
  const body = Buffer.from(JSON.stringify(value));
  const mac = crypto.createHmac('sha256', secret).update(body).digest();
  const head = Buffer.alloc(4);
  head.writeUInt32BE(mac.length + body.length);
  return Buffer.concat([head, mac, body]);
}

function open(frame) {
  if (frame.length < 32) return { error: 'truncated' };
  const body = frame.subarray(32);
  const mac = crypto.createHmac('sha256', secret).update(body).digest();
  if (!crypto.timingSafeEqual(frame.subarray(0, 32), mac)) return { error: 'bad_mac' };
  try {
    return { value: JSON.parse(body.toString('utf8')) };
  } catch (e) {
    return { error: 'malformed_json' };
  }
}

// A server of sealed frames, numbered as the runner's are: { id, request } in, { id, response } out.
// `handle(request)` resolves to the response; an oversized or unauthenticated frame closes the
// connection unanswered. Frames on one connection are answered in order; `once`: one frame, then close.
function serve(listenPort, what, once, handle) {
  const server = net.createServer((socket) => {
    let buffered = Buffer.alloc(0);
    let turn = Promise.resolve();
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4) {
        const length = buffered.readUInt32BE(0);
        if (length > maxFrame) {
          log(`${what}: rejected a frame of ${length} bytes`);
          return socket.destroy();
        }
        if (buffered.length < 4 + length) return;
        const opened = open(buffered.subarray(4, 4 + length));
        buffered = buffered.subarray(4 + length);
        if (opened.error) {
          log(`${what}: rejected input: ${opened.error}`);
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
  runner = { file: path.join(home, 'machine.cjs'), env: msg.env };
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
