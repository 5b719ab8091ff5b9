/**
 * `npm run logs`: every machine's story in one place. Merges the test process's JSON log and each
 * container's (.tmp/containers/<machine-id>/logs/output.json.log), orders lines by time and prints
 * them with pino-pretty, colored. `--follow` keeps printing new lines as they arrive.
 */
import fs from 'node:fs';
import path from 'node:path';
import { prettyFactory } from 'pino-pretty';
import { settings } from 'distzero/tools';

const follow = process.argv.includes('--follow') || process.argv.includes('-f');
// A simulated system's lines carry its virtual time too (the one its trace and history are in).
const pretty = prettyFactory({ colorize: process.stdout.isTTY, ignore: 'pid,hostname,env,virtual_ms', messageFormat: '{if virtual_ms}{virtual_ms} virtual ms {end}{if machine_name}[{machine_name}] {end}{msg}' });

function logFiles(): string[] {
  const root = settings.LOG_DIR;
  const files = [path.join(root, 'system.json.log')];
  const containers = path.join(root, 'containers');
  if (fs.existsSync(containers)) {
    for (const id of fs.readdirSync(containers)) files.push(path.join(containers, id, 'logs', 'output.json.log'));
  }
  return files.filter((f) => fs.existsSync(f));
}

const offsets = new Map<string, number>();

/** New complete lines of every file since the last call, merged by time. */
function readNew(): string[] {
  const records: { time: number; line: string }[] = [];
  for (const file of logFiles()) {
    const from = offsets.get(file) ?? 0;
    const size = fs.statSync(file).size;
    if (size <= from) continue;
    const fd = fs.openSync(file, 'r');
    const buffer = Buffer.alloc(size - from);
    fs.readSync(fd, buffer, 0, buffer.length, from);
    fs.closeSync(fd);
    const text = buffer.toString('utf8');
    const complete = text.lastIndexOf('\n') + 1;
    offsets.set(file, from + Buffer.byteLength(text.slice(0, complete)));
    for (const line of text.slice(0, complete).split('\n')) {
      if (!line) continue;
      try {
        records.push({ time: (JSON.parse(line) as { time?: number }).time ?? 0, line });
      } catch {
        records.push({ time: 0, line: JSON.stringify({ msg: line, machine_name: path.basename(path.dirname(path.dirname(file))) }) });
      }
    }
  }
  return records.sort((a, b) => a.time - b.time).map((r) => pretty(r.line));
}

for (const line of readNew()) process.stdout.write(line);
if (follow) setInterval(() => readNew().forEach((line) => process.stdout.write(line)), 500);
