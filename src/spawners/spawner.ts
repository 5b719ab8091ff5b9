/**
 * How machines come to exist and how the test process talks to them. Each mode is one subclass;
 * nothing above this layer branches on the mode.
 */
import type { Logger } from '../logging.ts';
import { apiResultSchemas, type ApiRequest, type ApiResponse, type ApiResult, type Transport } from '../messages/index.ts';
import type { Registry } from '../nodes/kinds.ts';
import { InvalidArgumentError, MachineDownError, nodeFailedDuring, reviveError } from '../runtime/errors.ts';
import type { Mode } from '../settings.ts';
import type { RawStats } from '../runtime/node-manager.ts';
import type { CallOptions } from './api-client.ts';
import { faultKinds } from '../messages/network.ts';
import { UnsupportedFaultError, type ClockSkew, type FaultCounts, type FaultKind, type LinkConditions } from './faults.ts';
import type { DiagramOptions } from './simulated/sequence-diagram.ts';

export interface MachineSpec {
  name: string;
}

export interface SpawnedMachine {
  id: string;
  name: string;
  /** How other machines' nodes reach this machine. */
  transport: Transport;
}

export interface WaitOptions {
  /** The longest to wait: virtual ms in simulation, wall-clock ms in real modes. */
  timeoutMs: number;
  /** What is awaited, for the error message. */
  what: string;
  /** How often to check in real modes (and how far virtual time advances between checks). */
  pollMs?: number;
}

export type Check = () => boolean | Promise<boolean>;

/** A node that threw on a real machine, as its machine reported it. */
export interface NodeFailure {
  machine: string;
  nodeId: string;
  during: string;
  error: { name: string; message: string };
}

/** How many times nodes threw, and the first few throws whole (each machine keeps a few; its log has every one). */
export interface NodeFailures {
  count: number;
  first: NodeFailure[];
}

/**
 * Nodes threw on real machines during a test that otherwise passed. A real machine logs a node's
 * throw and goes on (a bad message must not take the machine down); a simulated one stops the run
 * at once. Either way the test fails, with the same words.
 */
export class NodeFailedError extends Error {
  override name = 'NodeFailedError';
  constructor(readonly failures: NodeFailures) {
    const f = failures.first[0]!;
    const more = failures.count > 1 ? ` (and ${failures.count - 1} more: each in its machine's log, "node failed")` : '';
    super(`${nodeFailedDuring(f)}: ${f.error.name}: ${f.error.message}${more}`);
  }
}

export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
  /** The last value the awaited probe returned (set by SystemController.waitFor). */
  lastValue: unknown;
}

/** A machine answered an API request with an error raised on its side. */
export class MachineApiError extends Error {
  override name = 'MachineApiError';
  constructor(
    readonly machineId: string,
    readonly requestType: string,
    readonly remote: { name: string; message: string },
  ) {
    super(`machine ${machineId} failed ${requestType}: ${remote.name}: ${remote.message}`);
  }
}

/** A report attachment a spawner offers about its run (logs, traces, diagrams). */
export interface Attachment {
  name: string;
  contentType: string;
  path?: string;
  body?: string | Buffer;
}

/** Raw access to a real machine's sockets, for specs that attack them. */
export interface WireAccess {
  api: { host: string; port: number };
  udp: { host: string; port: number };
  secret: string;
}

/**
 * The project's node kinds, and the module that exports them (its default export): the test process
 * uses the registry; real machines are bundled from the module, so both know the same kinds.
 */
export interface Systems {
  registry: Registry;
  /** Absolute path of the systems module. */
  module: string;
}

export interface SimulationStats {
  events: number;
  /** Node messages delivered (each once, however often it was sent). */
  delivered: number;
  retransmitted: number;
  /** Nodes' datagrams on the raw channel, outside the links: every copy counts. */
  raw: RawStats;
  virtualMs: number;
}

/** How long a request may take, and how to name it if it does not come back. */
export type SendOptions = CallOptions;

/** How long a request waits for its answer unless told otherwise: virtual ms in simulation, wall-clock ms elsewhere. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

export abstract class Spawner {
  abstract readonly mode: Mode;
  abstract readonly systemId: string;
  /** When this system was made, by the test process's clock (epoch ms). */
  readonly startedAt = Date.now();
  /** The machines this spawner made, by id (the simulated one looks them up in its simulation instead). */
  private readonly spawned = new Map<string, SpawnedMachine>();

  constructor(
    /** The system's logger: its mode and id bound (in simulation, its lines carry virtual time too). */
    readonly logger: Logger,
    readonly systems: Systems,
  ) {}

  /** Milliseconds since this system started: virtual in simulation, the test process's clock elsewhere. */
  now(): number {
    return Date.now() - this.startedAt;
  }

  /** Events run and messages delivered so far (simulation only). */
  simulationStats(): SimulationStats | undefined {
    return undefined;
  }

  /** Run until nothing is left to happen, at most `limitMs` (simulation only). */
  async runUntilQuiet(_limitMs: number): Promise<void> {
    throw new UnsupportedFaultError(this.mode, 'run until quiet', 'only a simulation knows when nothing is left to happen');
  }

  /** The digest of everything that happened so far (simulation only: real runs have no trace). */
  digest(): string | undefined {
    return undefined;
  }

  /** Remember a machine this spawner made (for `spawnedMachine`, and its name for messages). */
  protected named(machine: SpawnedMachine): SpawnedMachine {
    this.spawned.set(machine.id, machine);
    return machine;
  }

  /** A machine this spawner made, or undefined. */
  spawnedMachine(machineId: string): SpawnedMachine | undefined {
    return this.spawned.get(machineId);
  }

  /** A machine's name for messages (its id when it has none). */
  protected nameOf(machineId: string): string {
    return this.spawnedMachine(machineId)?.name ?? machineId;
  }

  /** A fresh id: seeded in simulation, random in real modes. */
  abstract newId(prefix: string): string;

  abstract createMachines(specs: readonly MachineSpec[]): Promise<SpawnedMachine[]>;

  /** Carry one API request to a machine and bring back its response; CallTimeoutError when none comes in time. */
  protected abstract send(machineId: string, request: ApiRequest, options: SendOptions): Promise<ApiResponse>;

  /** Remove every machine and resource this spawner made. Must be safe after a failed start. */
  abstract cleanUp(): Promise<void>;

  /** A real machine's sockets as seen from the test process; undefined in simulation. */
  wireAccess(_machineId: string): WireAccess | undefined {
    return undefined;
  }

  // --- Faults: each mode overrides what it can do; the rest refuse loudly. --------------------

  /** Change every link's conditions, or one link's (machine ids, one direction). */
  async configureNetwork(_conditions: Partial<LinkConditions>, _link?: { from: string; to: string }): Promise<void> {
    throw new UnsupportedFaultError(this.mode, 'change link conditions');
  }

  /** Cut every link between the two groups of machines, both ways, until heal(). */
  async partition(_groupA: readonly string[], _groupB: readonly string[]): Promise<void> {
    throw new UnsupportedFaultError(this.mode, 'partition the network');
  }

  async heal(): Promise<void> {
    throw new UnsupportedFaultError(this.mode, 'heal a partition');
  }

  /** Machines crashed and not yet restarted: every mode refuses calls to them the same way. */
  private readonly down = new Set<string>();

  protected isDown(machineId: string): boolean {
    return this.down.has(machineId);
  }

  /**
   * Stop a machine abruptly; what it had not yet made durable is lost, and every call in flight to it
   * fails with MachineDownError. A machine already down is refused before anything is done.
   */
  async crash(machineId: string): Promise<void> {
    if (this.down.has(machineId)) throw new InvalidArgumentError({ argument: 'crash(machine)', problem: `machine ${this.nameOf(machineId)} is already down` });
    // Down before the mode acts: a call made while the crash is under way must not reach the dying machine.
    this.down.add(machineId);
    try {
      await this.crashMachine(machineId);
    } catch (error) {
      this.down.delete(machineId);
      throw error;
    }
    this.crashes++;
  }

  /** Crashes so far: every mode counts them here, as it counts skewed clocks. */
  protected crashes = 0;

  /** Start a crashed machine again from its journal. A machine that is up is refused. */
  async restart(machineId: string): Promise<void> {
    if (!this.down.has(machineId)) throw new InvalidArgumentError({ argument: 'restart(machine)', problem: `machine ${this.nameOf(machineId)} is up` });
    await this.restartMachine(machineId);
    this.down.delete(machineId);
  }

  /** The mode's crash: kill the machine's process (after `down` already refuses new calls to it). */
  protected async crashMachine(_machineId: string): Promise<void> {
    throw new UnsupportedFaultError(this.mode, 'crash a machine');
  }

  protected async restartMachine(_machineId: string): Promise<void> {
    throw new UnsupportedFaultError(this.mode, 'restart a machine');
  }

  /** Skew a machine's clock: every mode can, through the machine's own clock source. */
  async skewClock(machineId: string, skew: ClockSkew): Promise<void> {
    await this.request(machineId, { type: 'set_clock', offsetMs: skew.offsetMs, rate: skew.rate });
    this.skewedClocks++;
  }

  protected skewedClocks = 0;

  /**
   * The fault kinds this mode counts (checkFaultsFired holds it to those): every mode counts the
   * same events, in the simulator's network model or in each machine runner's own.
   */
  countedFaults(): FaultKind[] {
    return faultKinds.filter((kind) => kind !== 'to_down_machine');
  }

  /** Faults injected so far, by kind. */
  async faultCounts(): Promise<FaultCounts> {
    throw new UnsupportedFaultError(this.mode, 'count injected faults');
  }

  /** Let `ms` of system time pass: virtual in simulation, a real wait elsewhere (to hold a fault, not to await a result). */
  async pass(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** JSON log files the machines write outside this process's own log (containers' logs on the host). */
  machineLogFiles(): string[] {
    return [];
  }

  /** A message-sequence diagram of the run (SVG): only a simulation keeps a trace to draw it from. */
  sequenceDiagram(_options?: DiagramOptions): string | undefined {
    return undefined;
  }

  /**
   * Nodes that threw (in a handler, a timer, a reply) on a real machine, which logs it and goes on:
   * the test must hear of it as a simulated one does (the simulation stops at the throw).
   */
  async nodeFailures(): Promise<NodeFailures> {
    return { count: 0, first: [] };
  }

  /** What the report should carry about this run; `failed` says whether the test failed. */
  async attachments(_failed: boolean): Promise<Attachment[]> {
    return [];
  }

  /** Whether answers come off a wire and must be validated (real machines), or from this process. */
  protected readonly answersFromWire: boolean = true;

  /**
   * One request, its answer checked. A framework error raised on the machine (a body that fails its
   * schema, an unknown node...) is raised here as the same class with the same message.
   */
  async request<R extends ApiRequest>(machineId: string, request: R, options: { timeoutMs?: number; what?: string } = {}): Promise<ApiResult<R['type']>> {
    const machine = this.nameOf(machineId);
    if (this.down.has(machineId)) throw new MachineDownError({ machineId, machine });
    const response = await this.send(machineId, request, { timeoutMs: options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS, what: options.what ?? request.type, machine });
    if (!response.ok) throw reviveError(response.error, `machine ${machine}`) ?? new MachineApiError(machineId, request.type, response.error);
    if (!this.answersFromWire) return response.result as ApiResult<R['type']>;
    return apiResultSchemas[request.type].parse(response.result) as ApiResult<R['type']>;
  }

  /** Wait until `check` holds, at most `timeoutMs`. Real modes poll in real time. */
  async waitFor(check: Check, options: WaitOptions): Promise<void> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      if (await check()) return;
      if (Date.now() >= deadline) throw new WaitTimeoutError(`timed out after ${options.timeoutMs} ms waiting until ${options.what}`);
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
    }
  }
}
