/**
 * `npm run bench` — how fast each mode is and how cost grows with size. Prints a table and writes
 * bench-results.json. `npm run bench -- --quick` runs the small sizes only (seconds).
 * Each simulated size runs in a child process of its own, so its peak memory is its own; sweeps
 * run as nested Playwright runs (bench/sweep.ts).
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
/** The calm rows go on to 100,000 users (one process: what a machine of this kind holds). */
const calmSizes = quick ? sizes : [...sizes, 100_000];

function child(script: string, args: string[]): Record<string, unknown> {
  // Room for the 100,000-user row (V8's default old space is smaller than what it needs).
  const out = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=12288', '--import', 'tsx', script, ...args], { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

// The yardstick (bench/bare-loop.ts), at the start and again at the end: how fast this machine was
// while the rows ran, and the limit the simulator core is held against.
const bareLoop = () => child('bench/bare-loop.ts', [quick ? '1000000' : '5000000']);
const bareAtStart = bareLoop();
console.log(`machine    bare heap event loop (bench/bare-loop.ts) at the start: events/s=${bareAtStart.eventsPerSec}`);

const eventsPerDelivered = (row: Record<string, unknown>) => (Number(row.events) / Number(row.delivered)).toFixed(2);
/** What every sum row prints: correctness, size, time and rates. */
const sumColumns = (row: Record<string, unknown>) =>
  `exact=${row.exact}  delivered=${String(row.delivered).padStart(9)}  wall=${String(row.wallMs).padStart(6)} ms  delivered/s=${String(row.deliveredPerSec).padStart(8)}  ` +
  `ns/delivered=${String(row.nsPerDelivered).padStart(6)}  events/delivered=${eventsPerDelivered(row)}`;

/**
 * A run of under a second is mostly V8 warming up, and a shared machine's hiccup can double it: the
 * rows up to 1,000 users are the median (by wall time) of five cold processes (one under --quick).
 */
const runsOf = (users: number) => (!quick && users <= 1_000 ? 5 : 1);
function medianRun(args: string[], runs: number): Record<string, unknown> {
  const rows = Array.from({ length: runs }, () => child('bench/sim-case.ts', args)).sort((a, b) => Number(a.wallMs) - Number(b.wallMs));
  return { ...rows[Math.floor(runs / 2)]!, runs, wallMsOfRuns: rows.map((row) => row.wallMs) };
}

const simulated: Record<string, unknown>[] = [];
for (const faults of ['none', 'lossy']) {
  for (const users of faults === 'none' ? calmSizes : sizes) {
    const row = medianRun(['sum', String(users), faults], runsOf(users));
    simulated.push(row);
    console.log(
      `simulated  users=${String(users).padStart(6)}  faults=${faults.padEnd(5)}  ${sumColumns(row)}  sim/wall=${String(row.simToWall).padStart(6)}  peak RSS=${row.peakRssMiB} MiB` +
        (Number(row.runs) > 1 ? `  (median of ${row.runs}: ${(row.wallMsOfRuns as number[]).join(', ')} ms)` : ''),
    );
  }
}
// The same calm rows warm: untimed runs first in the same process (what a sweep's later seeds see),
// four of the small size (each lasts a fraction of a second), one of 10,000 users.
const warm: Record<string, unknown>[] = [];
for (const users of quick ? [100] : [1_000, 10_000]) {
  const row = child('bench/sim-case.ts', ['sum', String(users), 'none', users >= 10_000 ? '1' : '4']);
  warm.push(row);
  console.log(`simulated  users=${String(users).padStart(6)}  warm (after ${row.warmRuns} untimed runs in the same process)  ${sumColumns(row)}`);
}
// How cost grows with size: ns per delivered message at the largest calm size over that at 100 users.
const calm = (users: number) => simulated.find((row) => row.faults === 'none' && row.users === users);
const largest = calm(calmSizes.at(-1)!)!;
const scaling = { users: largest.users, versusUsers: 100, ratio: +(Number(largest.nsPerDelivered) / Number(calm(100)!.nsPerDelivered)).toFixed(2) };
console.log(`simulated  cost per delivered at ${scaling.users} users / at 100 users = ${scaling.ratio}x`);
const core = child('bench/sim-case.ts', ['core', quick ? '100' : '1000']);
const coreEventsPerSec = Number(core.events) / (Number(core.wallMs) / 1000);
console.log(
  `simulated  core, users=${core.users}, no batching  exact=${core.exact}  delivered=${core.delivered}  wall=${core.wallMs} ms  delivered/s=${core.deliveredPerSec}  ` +
    `ns/delivered=${core.nsPerDelivered}  events/delivered=${eventsPerDelivered(core)}  ` +
    `events/s=${Math.round(coreEventsPerSec)} (the bare loop's ${(coreEventsPerSec / Number(bareAtStart.eventsPerSec)).toFixed(3)})`,
);
const idle = child('bench/sim-case.ts', ['idle', quick ? '1000' : '10000']);
console.log(`simulated  idle nodes=${idle.nodes}  bytes per idle node (machine + node)=${idle.bytesPerIdleNode}`);

// The history checkers: every JSON line of bench/checkers.ts.
const checkerOut = execFileSync(process.execPath, ['--import', 'tsx', 'bench/checkers.ts', ...(quick ? ['--quick'] : [])], { encoding: 'utf8' });
const checkers = checkerOut.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
for (const row of checkers) console.log(`checkers   ${row.bench}  operations=${row.operations}  keys=${row.keys}  verdict=${row.verdict}  ms=${row.ms}`);

// Sweeps (bench/sweep.ts): the seed scenario through a real nested `npx playwright test` with one
// worker, its whole process timed; the same seeds with the determinism check on; serialize: true in
// process. Runs alternate and the median is taken: a shared machine's load falls on both sides.
const sweepSeeds = quick ? 200 : 2_000;
const rounds = quick ? 1 : 3;
const median = (rows: Record<string, unknown>[], key: string) => [...rows.map((r) => Number(r[key]))].sort((a, b) => a - b)[Math.floor(rows.length / 2)]!;
const plainRuns: Record<string, unknown>[] = [];
const checkRuns: Record<string, unknown>[] = [];
for (let round = 0; round < rounds; round++) {
  plainRuns.push(child('bench/sweep.ts', ['playwright', String(sweepSeeds), 'plain']));
  // Under --quick a second nested Playwright run would more than double the quick bench's time.
  if (!quick) checkRuns.push(child('bench/sweep.ts', ['playwright', String(sweepSeeds), 'check']));
}
const plainWall = median(plainRuns, 'wallMs');
const seedSweep = {
  scenario: 'seed scenario (systems/sum/scenario.ts seedScenarioUsers, every output leaf reaching 6)',
  measured: 'npx playwright test --workers=1, the whole process (start, collection, worker, fixtures, reporter)',
  seeds: sweepSeeds,
  workers: 1,
  wallMs: plainWall,
  testMs: median(plainRuns, 'testMs'),
  seedsPerMinutePerCore: Math.round(sweepSeeds / (plainWall / 60_000)),
  runs: plainRuns,
};
console.log(
  `sweep      seed scenario with Playwright  seeds=${sweepSeeds}  workers=1  wall=${plainWall} ms  seeds/min/core=${seedSweep.seedsPerMinutePerCore}  ` +
    `(inside the tests ${seedSweep.testMs} ms; median of ${rounds})`,
);
let determinism: Record<string, unknown> = { skipped: '--quick' };
if (!quick) {
  const checkWall = median(checkRuns, 'wallMs');
  determinism = {
    measured: 'with Playwright, as a user pays for it: CHECK_DETERMINISM=1 npx playwright test over the same seeds, one worker, against the plain run',
    seeds: sweepSeeds,
    wallMs: checkWall,
    testMs: median(checkRuns, 'testMs'),
    costRatio: +(checkWall / plainWall).toFixed(2),
    // Without the processes' start: every seed runs twice, so this one is 2x before any checking.
    testsRatio: +(median(checkRuns, 'testMs') / seedSweep.testMs).toFixed(2),
    runs: checkRuns,
  };
  console.log(
    `sweep      determinism check, with Playwright (CHECK_DETERMINISM=1, same ${sweepSeeds} seeds)  wall=${checkWall} ms  cost=${determinism.costRatio}x  ` +
      `(inside the tests: ${determinism.testsRatio}x, each seed run twice)`,
  );
} else {
  console.log('sweep      determinism check  skipped under --quick');
}
const serialize = child('bench/sweep.ts', ['serialize', quick ? '50' : '500', quick ? '100' : '1000']) as {
  seedScenario: { seeds: number; ratio: number };
  sum: { users: number; ratio: number };
};
console.log(
  `sweep      SIM_SERIALIZE, in process (distzero/sim, serialize: true)  seed scenario x${serialize.seedScenario.seeds}: cost=${serialize.seedScenario.ratio}x  ` +
    `sum of ${serialize.sum.users} users: cost=${serialize.sum.ratio}x`,
);

let virtual: Record<string, unknown> = { skipped: '--quick' };
if (!quick) {
  virtual = child('bench/virtual.ts', []);
  console.log(`virtual    ${JSON.stringify(virtual)}`);
}

const bareAtEnd = bareLoop();
console.log(`machine    bare heap event loop at the end: events/s=${bareAtEnd.eventsPerSec} (${(Number(bareAtEnd.eventsPerSec) / Number(bareAtStart.eventsPerSec)).toFixed(2)}x the start)`);

const results = {
  when: new Date().toISOString(),
  machine,
  bareLoop: { atStart: bareAtStart, atEnd: bareAtEnd },
  quick,
  simulated,
  warm,
  scaling,
  core,
  idle,
  checkers,
  sweep: { seedSweep, determinism, serialize },
  virtual,
};
fs.writeFileSync('bench-results.json', `${JSON.stringify(results, null, 2)}\n`);
console.log('wrote bench-results.json');
