/**
 * Reading a sweep's outcome back from Playwright's JSON report, as the nested sweep specs check it:
 * one test per batch of seeds (`sweepSeeds`), its seeds in a `seeds` annotation, a `failed seed <n>`
 * annotation per failing seed holding its replay command, and `failed-seeds.txt` with each failing
 * seed's first error line and trace digest.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { childEnvironment } from 'distzero/tools';

/** Run the sweeps tagged `grep` in a Playwright run of their own; its exit status and its batches and seeds. */
export function nestedSweep(grep: string, env: Record<string, string>, output: string, report: string) {
  const run = spawnSync(process.execPath, ['node_modules/@playwright/test/cli.js', 'test', '--project=simulated', '--grep', grep, '--reporter=json', `--output=${output}`], {
    env: childEnvironment({ ...env, PLAYWRIGHT_JSON_OUTPUT_NAME: report }),
    encoding: 'utf8',
  });
  return { status: run.status, ...readSweepReport(report) };
}

interface JsonAnnotation {
  type: string;
  description?: string;
}
interface JsonTest {
  annotations: JsonAnnotation[];
  results: { status: string; attachments: { name: string; body?: string }[] }[];
}
interface JsonSuite {
  specs: { title: string; tests: JsonTest[] }[];
  suites?: JsonSuite[];
}

export interface Batch {
  title: string;
  status: string;
  /** The seeds it was given. */
  seeds: number[];
  /** How many it ran, from its `seeds run` annotation (undefined: it never got to the end). */
  ran: number | undefined;
  attachments: string[];
}

export interface SeedOutcome {
  /** `not run`: its batch never got to the end (a timeout, a crash), so a seed without a failure is unknown. */
  status: 'passed' | 'failed' | 'not run';
  /** A failing seed's replay command, its error's first line and its trace digest. */
  replay?: string;
  error?: string;
  digest?: string;
}

/**
 * Every run of every batch (a batch runs twice under the determinism check), and each seed's outcome:
 * failed when any run of it failed, else passed when a run of its batch got to the end.
 */
export function readSweepReport(file: string): { batches: Batch[]; seeds: Map<number, SeedOutcome> } {
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as { suites: JsonSuite[] };
  const batches: Batch[] = [];
  const seeds = new Map<number, SeedOutcome>();
  const rank = { 'not run': 0, passed: 1, failed: 2 } as const;
  const record = (seed: number, outcome: SeedOutcome) => {
    const known = seeds.get(seed);
    if (!known || rank[outcome.status] > rank[known.status]) seeds.set(seed, outcome);
  };
  const visit = (suite: JsonSuite) => {
    for (const spec of suite.specs) {
      for (const test of spec.tests) {
        const result = test.results[0]!;
        const note = (type: string) => test.annotations.find((a) => a.type === type)?.description;
        const [first, last = first] = (note('seeds') ?? '').split('–').map(Number);
        const batchSeeds = Array.from({ length: last! - first! + 1 }, (_, i) => first! + i);
        const ran = note('seeds run');
        batches.push({ title: spec.title, status: result.status, seeds: batchSeeds, ran: ran === undefined ? undefined : Number(/^\d+/.exec(ran)![0]), attachments: result.attachments.map((a) => a.name) });
        const details = result.attachments.find((a) => a.name === 'failed-seeds.txt')?.body;
        const blocks = details ? Buffer.from(details, 'base64').toString('utf8').split(/^(?=seed \d+ failed: )/m) : [];
        for (const seed of batchSeeds) {
          const replay = note(`failed seed ${seed}`);
          if (replay === undefined) {
            record(seed, { status: ran === undefined ? 'not run' : 'passed' });
            continue;
          }
          const block = blocks.find((b) => b.startsWith(`seed ${seed} failed: `)) ?? '';
          record(seed, {
            status: 'failed',
            replay,
            error: /^seed \d+ failed: (.*)$/m.exec(block)?.[1],
            digest: /^trace digest: (.*)$/m.exec(block)?.[1],
          });
        }
      }
    }
    suite.suites?.forEach(visit);
  };
  report.suites.forEach(visit);
  return { batches, seeds };
}
