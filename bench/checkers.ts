/**
 * How long the linearizability checker takes on large histories: generated linearizable register
 * histories (5 clients, overlapping operations, 1% unknown outcomes), 10,000 operations over 10 keys
 * and 100,000 over 100. Also the time to find and shrink one planted stale read in the small one.
 * One JSON line per case. Run: node --import tsx bench/checkers.ts
 */
import { checkLinearizable, plannedRegisterHistory, randomRegisterPlan, type Operation } from 'distzero/checkers';

const CASES = [
  { operations: 10_000, keys: 10 },
  { operations: 100_000, keys: 100 },
].slice(0, process.argv.includes('--quick') ? 1 : 2);

function timed<T>(run: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = run();
  return { result, ms: Math.round((performance.now() - start) * 10) / 10 };
}

for (const { operations, keys } of CASES) {
  const history = plannedRegisterHistory(randomRegisterPlan({ seed: 1, operations, keys, processes: 5, values: 10, infoRate: 0.01 }));
  checkLinearizable(history.slice(0, 1_000)); // warm the JIT
  const { result, ms } = timed(() => checkLinearizable(history));
  const steps = result.keys.reduce((sum, key) => sum + key.steps, 0);
  console.log(JSON.stringify({ bench: 'linearizability', operations, keys, clients: 5, verdict: result.verdict, ms, steps, opsPerSecond: Math.round(operations / (ms / 1000)) }));

  // One read made to return a value nobody wrote.
  const planted = history.map((o) => ({ ...o })) as Operation[];
  const victim = planted.find((o) => o.op === 'read' && o.outcome.type === 'ok' && o.id > operations / 2);
  if (victim?.op === 'read') victim.outcome = { type: 'ok', value: 'stale' };
  const found = timed(() => checkLinearizable(planted));
  console.log(JSON.stringify({ bench: 'linearizability, one planted violation', operations, keys, verdict: found.result.verdict, window: found.result.verdict === 'violation' ? found.result.window.length : null, ms: found.ms }));
}
