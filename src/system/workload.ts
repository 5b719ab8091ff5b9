/**
 * A seeded workload, in the spirit of Maelstrom's `test -w ... --rate --time-limit --nemesis`:
 * concurrent clients invoke operations at a rate for a while, a nemesis injects faults on a schedule
 * drawn from the test's seed, everything is healed, and each client ends with its final operations
 * (a read of every key, say). Every operation goes into `system.history`.
 *
 * Time is the system's own: virtual in simulation (so the run replays exactly from its seed), the
 * test process's clock in the real modes. The faults are the same calls in every mode.
 */
import type { CallResult, Invocation, Operation, OperationKind } from '../checkers/history.ts';
import { InvalidArgumentError } from '../runtime/errors.ts';
import { Rng } from '../runtime/rng.ts';
import type { MachineRef, SystemController } from './system-controller.ts';

/**
 * One client operation: how it is recorded, and the call that performs it; `note`, once it has
 * completed, what the history should say of it (which node served it, read off the call's answer
 * in a closure), shown by the table and the timeline.
 */
export type ClientOperation = {
  [K in OperationKind]: { invocation: Invocation<K>; call: () => Promise<CallResult<K>>; note?: (operation: Operation) => string | undefined };
}[OperationKind];

/** What a workload's generator knows of the client it draws for. */
export interface WorkloadClient {
  /** The client's process id in the history: 0 .. clients-1. */
  readonly process: number;
  /** The client's own generator, drawn from the test's seed (the clients' draws never interleave). */
  readonly random: Rng;
}

export type NemesisFault = 'partition' | 'crash' | 'skew' | 'loss';
export const nemesisFaults: readonly NemesisFault[] = ['partition', 'crash', 'skew', 'loss'];

export interface NemesisOptions {
  /** The machines the nemesis may cut off, crash and skew. */
  machines: readonly MachineRef[];
  /** The faults it draws from, each once in every run of as many intervals (in the seed's order). Default: all of them. */
  faults?: readonly NemesisFault[];
  /**
   * A fault every `intervalMs` of system time (`durationMs / intervalMs` of them): a calm half, then
   * the fault held for the other half, then undone. Default 1,000.
   */
  intervalMs?: number;
  /** `loss`: the drop rate on every link while it lasts. Default 0.2. */
  drop?: number;
  /** `skew`: the largest clock offset, either way (rates drift up to 10% either way too). Default 5,000 ms. */
  maxSkewMs?: number;
}

export interface WorkloadOptions {
  /** Concurrent clients, each invoking one operation at a time. */
  clients: number;
  /** Operations a second, all clients together (on average: the gaps are exponential, drawn per client). */
  rate: number;
  /** How long clients keep invoking (system time); an operation in flight at the end is waited for. */
  durationMs: number;
  /** A client's next operation. */
  next: (client: WorkloadClient) => ClientOperation;
  nemesis?: NemesisOptions;
  /** Once every fault is undone and `settleMs` has passed: each client's final operations, one after another. */
  final?: (client: WorkloadClient) => ClientOperation[];
  /** Default 1,000 ms. */
  settleMs?: number;
}

/** What the nemesis did and when (system time), for the report. */
export interface NemesisEvent {
  at: number;
  fault: NemesisFault | 'undo';
  detail: string;
}

export interface WorkloadResult {
  /** The operations this workload invoked (system.history may hold others too). */
  history: Operation[];
  nemesis: NemesisEvent[];
}

/** Run one client operation now as `process`, recorded in `system.history` (what `runWorkload` does with each). */
export async function perform(system: SystemController, process: number, operation: ClientOperation): Promise<Operation> {
  const done = await system.history.record(process, operation.invocation, operation.call as () => Promise<CallResult<OperationKind>>);
  const note = operation.note?.(done);
  if (note !== undefined) done.note = note;
  return done;
}

export async function runWorkload(system: SystemController, options: WorkloadOptions): Promise<WorkloadResult> {
  const invalid = (argument: string, problem: string) => new InvalidArgumentError({ argument: `runWorkload(${argument})`, problem });
  if (!Number.isInteger(options.clients) || options.clients < 1) throw invalid('clients', `at least one client (got ${options.clients})`);
  if (!(options.rate > 0)) throw invalid('rate', `operations a second, more than 0 (got ${options.rate})`);
  if (!(options.durationMs >= 0)) throw invalid('durationMs', `a duration, 0 or more (got ${options.durationMs})`);
  // Every generator is drawn before anything runs, in one order: the run replays from its seed.
  const nemesisRandom = new Rng(system.random.int(2 ** 31));
  const clients: WorkloadClient[] = Array.from({ length: options.clients }, (_, process) => ({ process, random: new Rng(system.random.int(2 ** 31)) }));
  const first = system.history.size;
  const end = system.now() + options.durationMs;
  const meanGapMs = (options.clients * 1000) / options.rate;

  const nemesis = options.nemesis ? new Nemesis(system, options.nemesis, nemesisRandom) : undefined;
  // On real machines a crash or a restart takes real time: the faults run late, and the clients go
  // on until the last fault is undone too, so every fault meets traffic.
  let faultsDone = nemesis === undefined;
  const faults = nemesis?.run(Math.floor(options.durationMs / nemesis.intervalMs)).finally(() => (faultsDone = true));
  const client = async (c: WorkloadClient) => {
    while (system.now() < end || !faultsDone) {
      await perform(system, c.process, options.next(c));
      const gap = c.random.exponential(meanGapMs);
      const left = end - system.now();
      await system.pass(left > 0 ? Math.min(left, gap) : gap);
    }
  };
  await Promise.all([...clients.map(client), faults]);

  await system.pass(options.settleMs ?? 1_000);
  if (options.final) {
    await Promise.all(
      clients.map(async (c) => {
        for (const operation of options.final!(c)) await perform(system, c.process, operation);
      }),
    );
  }
  return { history: system.history.history().slice(first), nemesis: nemesis?.events ?? [] };
}

/** Faults on a schedule drawn from the seed: a calm half-interval, a fault held for the other half, undone. */
class Nemesis {
  readonly events: NemesisEvent[] = [];
  private readonly faults: readonly NemesisFault[];
  readonly intervalMs: number;

  constructor(
    private readonly system: SystemController,
    private readonly options: NemesisOptions,
    private readonly random: Rng,
  ) {
    this.faults = options.faults ?? nemesisFaults;
    this.intervalMs = options.intervalMs ?? 1_000;
    if (options.machines.length < 2 && this.faults.includes('partition')) {
      throw new InvalidArgumentError({ argument: 'runWorkload(nemesis.machines)', problem: 'a partition needs at least two machines' });
    }
  }

  /** `count` faults, one an interval. */
  async run(count: number): Promise<void> {
    const half = this.intervalMs / 2;
    let bag: NemesisFault[] = [];
    for (let i = 0; i < count; i++) {
      await this.system.pass(half);
      // Drawn from a bag, refilled when empty: every fault comes once in each run of as many
      // intervals as there are faults, in an order the seed picks (a short run still sees them all).
      if (bag.length === 0) bag = shuffle([...this.faults], this.random);
      const undo = await this.inject(bag.pop()!);
      await this.system.pass(half);
      await undo();
    }
  }

  private note(fault: NemesisEvent['fault'], detail: string): void {
    this.events.push({ at: this.system.now(), fault, detail });
  }

  /** Inject one fault; returns what undoes it. */
  private async inject(fault: NemesisFault): Promise<() => Promise<void>> {
    const { system, random } = this;
    const machines = this.options.machines;
    const names = (group: readonly MachineRef[]) => group.map((m) => m.name).join(' ');
    switch (fault) {
      case 'partition': {
        // Random halves: a shuffle, cut in the middle (the smaller half first).
        const shuffled = shuffle([...machines], random);
        const cut = Math.floor(shuffled.length / 2);
        const [a, b] = [shuffled.slice(0, cut), shuffled.slice(cut)];
        await system.partition(a, b);
        this.note(fault, `${names(a)} | ${names(b)}`);
        return async () => {
          await system.heal();
          this.note('undo', 'healed');
        };
      }
      case 'crash': {
        const machine = machines[random.int(machines.length)]!;
        await system.crash(machine);
        this.note(fault, machine.name);
        return async () => {
          await system.restart(machine);
          this.note('undo', `${machine.name} restarted`);
        };
      }
      case 'skew': {
        const machine = machines[random.int(machines.length)]!;
        const maxSkewMs = this.options.maxSkewMs ?? 5_000;
        const skew = { offsetMs: Math.round((random.float() * 2 - 1) * maxSkewMs), rate: 1 + (random.float() * 2 - 1) * 0.1 };
        await system.skewClock(machine, skew);
        this.note(fault, `${machine.name} ${skew.offsetMs >= 0 ? '+' : ''}${skew.offsetMs} ms, rate ${skew.rate.toFixed(3)}`);
        return async () => {
          await system.skewClock(machine, { offsetMs: 0, rate: 1 });
          this.note('undo', `${machine.name} clock true`);
        };
      }
      case 'loss': {
        const drop = this.options.drop ?? 0.2;
        await system.configureNetwork({ drop });
        this.note(fault, `drop ${drop} on every link`);
        return async () => {
          await system.configureNetwork({ drop: 0 });
          this.note('undo', 'no loss');
        };
      }
    }
  }
}

/** Fisher–Yates, in place, with the given generator. */
function shuffle<T>(items: T[], random: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
