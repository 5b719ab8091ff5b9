/**
 * `npm run bench` — how fast each mode is and how cost grows with size. Prints a table and writes
 * bench-results.json. `npm run bench -- --quick` runs the small sizes only (seconds).
 * Each simulated size runs in a child process of its own, so its peak memory is its own.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

const quick = process.argv.includes('--quick');
/** What was measured, where: the commit (with `+` when the tree has changes), Node and the cores. */
function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}+` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}
const machine = { commit: commit(), cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version };
console.log(`bench      commit ${machine.commit}  node ${machine.node}  ${machine.cpus} cores (${machine.cpu})`);
const sizes = quick ? [10, 100] : [10, 100, 1_000, 10_000];

function child(script: string, args: string[]): Record<string, unknown> {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, ...args], { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

const simulated: Record<string, unknown>[] = [];
for (const faults of ['none', 'lossy']) {
  for (const users of sizes) {
    const row = child('bench/sim-case.ts', ['sum', String(users), faults]);
    simulated.push(row);
    console.log(
      `simulated  users=${String(users).padStart(6)}  faults=${faults.padEnd(5)}  exact=${row.exact}  delivered=${String(row.delivered).padStart(9)}  ` +
        `wall=${String(row.wallMs).padStart(6)} ms  delivered/s=${String(row.deliveredPerSec).padStart(8)}  ns/delivered=${String(row.nsPerDelivered).padStart(6)}  ` +
        `events/delivered=${(Number(row.events) / Number(row.delivered)).toFixed(2)}  sim/wall=${String(row.simToWall).padStart(6)}  peak RSS=${row.peakRssMiB} MiB`,
    );
  }
}
const core = child('bench/sim-case.ts', ['core', quick ? '100' : '1000']);
console.log(`simulated  core, users=${core.users}, no batching  exact=${core.exact}  delivered=${core.delivered}  wall=${core.wallMs} ms  delivered/s=${core.deliveredPerSec}  ns/delivered=${core.nsPerDelivered}`);
const idle = child('bench/sim-case.ts', ['idle', quick ? '1000' : '10000']);
console.log(`simulated  idle nodes=${idle.nodes}  bytes per idle node (machine + node)=${idle.bytesPerIdleNode}`);

// The history checkers: every JSON line of bench/checkers.ts.
const checkerOut = execFileSync(process.execPath, ['--import', 'tsx', 'bench/checkers.ts', ...(quick ? ['--quick'] : [])], { encoding: 'utf8' });
const checkers = checkerOut.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
for (const row of checkers) console.log(`checkers   ${row.bench}  operations=${row.operations}  keys=${row.keys}  verdict=${row.verdict}  ms=${row.ms}`);

let virtual: Record<string, unknown> = { skipped: '--quick' };
if (!quick) {
  virtual = child('bench/virtual.ts', []);
  console.log(`virtual    ${JSON.stringify(virtual)}`);
}

const results = {
  when: new Date().toISOString(),
  machine,
  quick,
  simulated,
  core,
  idle,
  checkers,
  virtual,
};
fs.writeFileSync('bench-results.json', `${JSON.stringify(results, null, 2)}\n`);
console.log('wrote bench-results.json');
