/**
 * The test-facing API, the same in every mode: create machines, spawn nodes of any registered kind,
 * call them (request/response) and send them messages, wait for conditions, inject faults, and read
 * the clock, the trace digest and a seeded generator for the test's own workload.
 */
import { HistoryRecorder } from '../checkers/history.ts';
import type { Logger } from '../logging.ts';
import type { Body, NodeHandle, NodeRef, Transport } from '../messages/index.ts';
import type { ConfigInput, KindSchemas, NodeKind, ReplyOf, RequestInput, RequestName } from '../nodes/kinds.ts';
import { InvalidArgumentError, UnknownMachineError } from '../runtime/errors.ts';
import { FaultsNeverFiredError, expectedKinds, linkConditionsSchema, type ClockSkew, type FaultCounts, type FaultKind, type LinkConditions } from '../spawners/faults.ts';
import { Rng } from '../runtime/rng.ts';
import { WaitTimeoutError, type SimulationStats, type SpawnedMachine, type Spawner } from '../spawners/spawner.ts';
import type { DiagramOptions } from '../spawners/simulated/sequence-diagram.ts';

export type MachineRef = Pick<SpawnedMachine, 'id' | 'name'>;

declare const kindBrand: unique symbol;
/** A node's handle, typed by its kind's schemas: `call` and `send` check what they carry against it. */
export type Handle<S extends KindSchemas = KindSchemas> = NodeHandle & { readonly [kindBrand]?: S };

export interface WaitForOptions<T> {
  /** The longest to wait: virtual ms in simulation, wall-clock ms in real modes. */
  timeoutMs: number;
  /** When the probed value is what we wait for (default: when it is truthy). */
  until?: (value: T) => boolean;
  /** What is awaited, for the timeout's message. */
  what?: string;
  /** How often to probe (real modes), or how far virtual time moves between probes. */
  pollMs?: number;
}

export class SystemController {
  /** Fault kinds this test asked for. */
  readonly requested = new Set<FaultKind>();
  /**
   * A generator for the test's own workload (which node to call, what value to write), derived from
   * the test's seed and separate from the simulator's, in every mode.
   */
  readonly random: Rng;
  /**
   * The clients' history, on the system's clock (virtual time in simulation, so it replays exactly).
   * Record each client operation with `system.history.record(process, invocation, call)`; the
   * workload runner records into it too. The fixtures attach it to the report (JSON and a table).
   */
  readonly history: HistoryRecorder;

  constructor(
    readonly spawner: Spawner,
    readonly logger: Logger,
    /** The test's seed: the simulator's in simulated mode, the workload's everywhere. */
    readonly seed: number,
    /** Called once the system is closed (the fixtures stop tracking it). */
    private readonly onClose?: () => void,
  ) {
    this.random = new Rng(seed ^ 0x68e31da4);
    this.history = new HistoryRecorder({ now: () => this.now() });
  }

  get systemId(): string {
    return this.spawner.systemId;
  }

  get mode() {
    return this.spawner.mode;
  }

  /** Milliseconds since the system started: virtual in simulation, the test process's clock elsewhere. */
  now(): number {
    return this.spawner.now();
  }

  /** The simulated run's trace digest (same seed, same digest); undefined in real modes. */
  digest(): string | undefined {
    return this.spawner.digest();
  }

  /** Events run, messages delivered and retransmitted so far; undefined in real modes. */
  simulationStats(): SimulationStats | undefined {
    return this.spawner.simulationStats();
  }

  /** Simulation: run until nothing is left to happen (at most `limitMs` virtual ms). Real modes refuse. */
  runUntilQuiet(limitMs = Number.POSITIVE_INFINITY): Promise<void> {
    return this.spawner.runUntilQuiet(limitMs);
  }

  async createMachines(names: readonly string[]): Promise<MachineRef[]> {
    const spawned = await this.spawner.createMachines(names.map((name) => ({ name })));
    this.logger.info({ machines: spawned.map((m) => `${m.name}=${m.id}`) }, 'machines created');
    return spawned.map(({ id, name }) => ({ id, name }));
  }

  async createMachine(name: string): Promise<MachineRef> {
    const [machine] = await this.createMachines([name]);
    return machine!;
  }

  /** Start a node of `kind` named `name` on `machine`; its config is checked against the kind's schema there. */
  async spawn<S extends KindSchemas>(machine: MachineRef, kind: NodeKind<S> | string, name: string, config: ConfigInput<S>): Promise<Handle<S>> {
    const target = this.machine(machine.id);
    const kindName = typeof kind === 'string' ? kind : kind.name;
    const handle = await this.spawner.request(target.id, { type: 'start_node', kind: kindName, id: this.spawner.newId(name), name, config });
    this.logger.info({ node_id: handle.id, kind: kindName, machine_name: target.name }, 'node spawned');
    return handle as Handle<S>;
  }

  /**
   * Ask a node and get its typed reply: the node's `answer` handles it, now or later. Costs a
   * network round trip each way in simulation; fails with CallTimeoutError after `timeoutMs`
   * (default 10 s: virtual in simulation, real elsewhere).
   */
  call<S extends KindSchemas, T extends RequestName<S>>(node: Handle<S>, request: RequestInput<S, T>, options: { timeoutMs?: number } = {}): Promise<ReplyOf<S, T>> {
    // Not async: one promise per call, not one per layer (a poll of every output makes thousands).
    // What an async function would reject with is rejected the same way.
    if (!this.spawner.spawnedMachine(node.machineId)) return Promise.reject(new UnknownMachineError({ machineId: node.machineId }));
    const body = request as Body;
    const what = `call ${String(body.type)} on node ${node.id}`;
    return this.spawner.request(node.machineId, { type: 'call_node', nodeId: node.id, request: body }, { timeoutMs: options.timeoutMs, what }) as Promise<ReplyOf<S, T>>;
  }

  /** Deliver a message to a node as if the test sent it (its sender id is SYSTEM_SENDER). */
  async send<S extends KindSchemas>(node: Handle<S>, message: Body): Promise<void> {
    this.machine(node.machineId);
    await this.spawner.request(node.machineId, { type: 'send_to_node', nodeId: node.id, message });
  }

  /** A transport for a node to reach `receiver` (the seed's create_transport_for). */
  createTransport(receiver: NodeHandle): Transport {
    return this.machine(receiver.machineId).transport;
  }

  /** A handle with the transport to reach it, for configs that name other nodes. */
  refTo(handle: NodeHandle): NodeRef {
    return { handle, transport: this.createTransport(handle) };
  }

  /**
   * Probe until the value is what we wait for, at most `timeoutMs`; returns the last value. On a
   * timeout the error shows the last value the probe saw. In simulation virtual time runs between
   * probes (and a system that goes quiet without getting there fails at once).
   */
  async waitFor<T>(probe: () => T | Promise<T>, options: WaitForOptions<T>): Promise<T> {
    const until = options.until ?? ((value: T) => Boolean(value));
    let last: { value: T } | undefined;
    try {
      await this.spawner.waitFor(
        async () => {
          last = { value: await probe() };
          return until(last.value);
        },
        { timeoutMs: options.timeoutMs, what: options.what ?? 'the condition holds', ...(options.pollMs ? { pollMs: options.pollMs } : {}) },
      );
    } catch (error) {
      if (error instanceof WaitTimeoutError) {
        error.lastValue = last?.value;
        error.message += `\n  last value seen: ${last ? JSON.stringify(last.value) : '(the probe never returned)'}`;
      }
      throw error;
    }
    return last!.value;
  }

  /**
   * Simulated mode: a message-sequence diagram (SVG) of the run so far, or of the stretch from `from`
   * to `to` virtual ms (a violation's window, say: attach it to the report). The trace keeps the
   * run's last 2,000 events unless the system was made with more (`traceEvents`). Undefined in
   * the real modes, which keep no trace.
   */
  sequenceDiagram(options?: DiagramOptions): string | undefined {
    return this.spawner.sequenceDiagram(options);
  }

  // --- Faults (the same calls in every mode that can do them) -----------------------------------

  /** Change the conditions of every link, or of the links from one machine to another. */
  async configureNetwork(conditions: Partial<LinkConditions>, link?: { from: MachineRef; to: MachineRef }): Promise<void> {
    // Checked whole before anything is applied: a bad value names itself and changes nothing.
    const checked = linkConditionsSchema.partial().safeParse(conditions);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      throw new InvalidArgumentError({ argument: `configureNetwork(${['conditions', ...issue.path].join('.')})`, problem: issue.message });
    }
    if (link) for (const m of [link.from, link.to]) this.machine(m.id);
    this.logger.info({ ...checked.data, ...(link ? { from: link.from.name, to: link.to.name } : {}) }, 'network conditions');
    await this.spawner.configureNetwork(checked.data, link && { from: link.from.id, to: link.to.id });
    for (const kind of expectedKinds(conditions)) this.requested.add(kind);
  }

  /** Run this machine's clock ahead or behind (offsetMs) and fast or slow (rate, 1 = true). */
  skewClock(machine: MachineRef, skew: ClockSkew): Promise<void> {
    this.machine(machine.id);
    this.requested.add('skewed_clocks');
    this.logger.info({ machine_name: machine.name, ...skew }, 'clock skew');
    return this.spawner.skewClock(machine.id, skew);
  }

  /**
   * Fail if a fault the test asked for never happened (a fault injector that is silently inert gives
   * false confidence). Only the kinds the mode counts are checked. Returns the counts.
   */
  async checkFaultsFired(): Promise<FaultCounts> {
    const counts = await this.spawner.faultCounts();
    const counted = new Set(this.spawner.countedFaults());
    const silent = [...this.requested].filter((kind) => counted.has(kind) && counts[kind] === 0);
    if (silent.length > 0) throw new FaultsNeverFiredError(silent);
    return counts;
  }

  partition(groupA: readonly MachineRef[], groupB: readonly MachineRef[]): Promise<void> {
    for (const m of [...groupA, ...groupB]) this.machine(m.id);
    this.requested.add('partitioned');
    this.logger.info({ a: groupA.map((m) => m.name), b: groupB.map((m) => m.name) }, 'partition');
    return this.spawner.partition(
      groupA.map((m) => m.id),
      groupB.map((m) => m.id),
    );
  }

  heal(): Promise<void> {
    this.logger.info('heal');
    return this.spawner.heal();
  }

  /**
   * Kill a machine's process: what it had not journaled is lost, calls in flight to it and calls
   * made while it is down fail with MachineDownError. Crashing a machine already down is refused.
   */
  async crash(machine: MachineRef): Promise<void> {
    this.machine(machine.id);
    this.logger.info({ machine_name: machine.name }, 'crash');
    await this.spawner.crash(machine.id);
    // Only once it happened: a refused crash must not make checkFaultsFired expect one.
    this.requested.add('crashes');
  }

  /** Start a crashed machine again from its journal; restarting a machine that is up is refused. */
  restart(machine: MachineRef): Promise<void> {
    this.machine(machine.id);
    this.logger.info({ machine_name: machine.name }, 'restart');
    return this.spawner.restart(machine.id);
  }

  faultCounts(): Promise<FaultCounts> {
    return this.spawner.faultCounts();
  }

  /** Let `ms` of system time pass (virtual in simulation): to hold a fault for a while, never to await a result. */
  pass(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) return Promise.reject(new InvalidArgumentError({ argument: 'pass(ms)', problem: `a duration is a finite number of ms, 0 or more (got ${ms})` }));
    return this.spawner.pass(ms);
  }

  /** Remove every machine of this system (the fixtures do it for you at the end of a test). */
  async close(): Promise<void> {
    this.onClose?.();
    await this.spawner.cleanUp();
  }

  private machine(machineId: string): SpawnedMachine {
    const machine = this.spawner.spawnedMachine(machineId);
    if (!machine) throw new UnknownMachineError({ machineId });
    return machine;
  }
}
