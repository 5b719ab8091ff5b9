// DistZero boot loader: the only code an instance's user data carries. It listens on the machine's
// API port for ONE install frame sealed with the system secret ([u32 length][HMAC-SHA256][JSON]),
// writes the bundled runner it carries, answers, and hands the port over to the runner. No SSH, no
// download: the runner comes from the test process itself. Plain Node, no dependencies.
// Usage: node loader.cjs <config.json>, the config (secret, apiPort, maxMessageBytes, home) written
// by the user data with mode 600: the secret is in neither the command line nor the environment.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const secret = Buffer.from(config.secret, 'hex');
const port = Number(config.apiPort);
const maxFrame = Number(config.maxMessageBytes) + 32;
const home = config.home || '/opt/distzero';
const log = (msg) => console.log(`${new Date().toISOString()} distzero-loader: ${msg}`);

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

let installed = false;
const server = net.createServer((socket) => {
  let buffered = Buffer.alloc(0);
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (buffered.length < 4) return;
    const length = buffered.readUInt32BE(0);
    if (length > maxFrame) {
      log(`rejected a frame of ${length} bytes`);
      return socket.destroy();
    }
    if (buffered.length < 4 + length) return;
    const opened = open(buffered.subarray(4, 4 + length));
    buffered = buffered.subarray(4 + length);
    if (opened.error) {
      log(`rejected input: ${opened.error}`);
      return socket.destroy();
    }
    // Frames are numbered as the runner's are: { id, request } in, { id, response } out.
    const id = opened.value && Number.isSafeInteger(opened.value.id) ? opened.value.id : 0;
    const msg = opened.value && opened.value.request;
    const answer = (response) => seal({ id, response });
    if (!msg || msg.type !== 'install' || typeof msg.bundle !== 'string' || typeof msg.env !== 'object' || installed) {
      socket.end(answer({ ok: false, error: { name: 'InvalidInstall', message: installed ? 'already installed' : 'not an install message' } }));
      return;
    }
    const bundle = Buffer.from(msg.bundle, 'base64');
    const digest = crypto.createHash('sha256').update(bundle).digest('hex');
    if (digest !== msg.sha256) {
      socket.end(answer({ ok: false, error: { name: 'InvalidInstall', message: 'bundle digest mismatch' } }));
      return;
    }
    installed = true;
    fs.mkdirSync(home, { recursive: true });
    const file = path.join(home, 'machine.cjs');
    fs.writeFileSync(file, bundle);
    log(`installed runner ${digest.slice(0, 12)} (${bundle.length} bytes)`);
    // Stop listening (frees the API port for the runner), start the runner, answer, and leave.
    server.close();
    const out = fs.openSync(path.join(home, 'machine.out'), 'a');
    // The runner's whole environment is what the install message says (its identity, secret, ports).
    const child = spawn(process.execPath, [file], { env: msg.env, detached: true, stdio: ['ignore', out, out] });
    child.unref();
    log(`runner started as pid ${child.pid}`);
    socket.end(answer({ ok: true, result: { installed: true, pid: child.pid } }), () => process.exit(0));
  });
});
server.listen(port, () => log(`waiting for the runner on port ${port}`));
