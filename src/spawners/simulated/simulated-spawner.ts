/**
 * Simulated mode: every machine is an object in this process and a seeded discrete-event network
 * carries their packets. The test's calls into the system take virtual time too (one network delay
 * each way), so the system runs concurrently with the test as it would for real.
 */
import type { Logger } from '../../logging.ts';
import { apiFrameSchema, type ApiRequest, type ApiResponse } from '../../messages/index.ts';
import { wireCopy } from '../../messages/wire-copy.ts';
import { InvalidRequestError, MachineDownError, UnknownMachineError, describeError } from '../../runtime/errors.ts';
import { validate } from '../../runtime/wire.ts';
import { CallTimeoutError } from '../api-client.ts';
import type { FaultCounts, LinkConditions } from '../faults.ts';
import { Spawner, WaitTimeoutError, type Attachment, type Check, type MachineSpec, type SendOptions, type SimulationStats, type SpawnedMachine, type Systems, type WaitOptions } from '../spawner.ts';
import { calmNetwork } from '../../runtime/network-model.ts';
import type { RawStats } from '../../runtime/node-manager.ts';
import { Rng } from '../../runtime/rng.ts';
import { sequenceDiagram } from './sequence-diagram.ts';
import { Simulation } from './simulation.ts';

export interface SimulatedSpawnerOptions {
  seed: number;
  logger: Logger;
  systems: Systems;
  serialize?: boolean;
  /** Test-only: machines deliver duplicates again, to show the checks catch a broken link layer. */
  brokenDedup?: boolean;
  /** Keep the whole trace (the determinism check compares two runs event by event). */
  recordAll?: boolean;
}

/** A request on its way: which machine it is for, and how to fail it (at most once). */
/** Something the test awaits from the simulation: a request's answer, or the end of a `pass`. */
interface Call {
  /** The machine a request went to (a crash there fails it); none for a `pass`. */
  machineId: string | undefined;
  fail: (error: unknown) => void;
}

export class SimulatedSpawner extends Spawner {
  readonly mode = 'simulated' as const;
  /** Answers are made by NodeManagers in this process: their types hold without re-validation. */
  protected override readonly answersFromWire = false;
  readonly systemId: string;
  readonly sim: Simulation;

  constructor(options: SimulatedSpawnerOptions) {
    // The system id comes from the seed too, through a generator of its own (the run's stays untouched).
    const systemId = `sys-${new Rng(options.seed ^ 0x5bd1e995).hex(8)}`;
    const logger = options.logger.child({ mode: 'simulated', system_id: systemId });
    super(logger, options.systems);
    this.systemId = systemId;
    this.sim = new Simulation({ seed: options.seed, logger, registry: options.systems.registry, serialize: options.serialize ?? false, brokenDedup: options.brokenDedup ?? false, recordAll: options.recordAll ?? false });
  }

  get seed(): number {
    return this.sim.seed;
  }

  newId(prefix: string): string {
    return `${prefix}-${this.sim.rng.hex(6)}`;
  }

  async createMachines(specs: readonly MachineSpec[]): Promise<SpawnedMachine[]> {
    return specs.map(({ name }) => {
      const machine = this.sim.addMachine(this.newId(name), name);
      return this.named({ id: machine.id, name, transport: { machineId: machine.id, address: machine.address } });
    });
  }

  /**
   * A request travels to its machine and its answer back, one calm network delay each way, as
   * events (the test's own calls are not subject to the faults it injects between machines). Both
   * are copied as JSON would carry them (wireCopy) and checked by the envelope's schema, as on a
   * real wire, so a bad body fails here exactly as it fails on a real machine. Requests made
   * together (Promise.all) are in flight together: reading a thousand outputs costs one round trip
   * of virtual time, not a thousand. A request not answered within its timeout (virtual ms) fails
   * with CallTimeoutError, as a real one does; one to a machine that is down, or that crashes
   * before answering, fails with MachineDownError (the request dies with the process it reached).
   */
  protected send(machineId: string, request: ApiRequest, options: SendOptions): Promise<ApiResponse> {
    const machine = this.sim.machines.get(machineId);
    if (!machine) return Promise.reject(new UnknownMachineError({ machineId }));
    const down = () => new MachineDownError({ machineId, machine: options.machine });
    // The process the request is meant for: after a crash, a restarted machine runs another one.
    const target = machine.manager;
    if (!target) return Promise.reject(down());
    return new Promise<ApiResponse>((resolve, reject) => {
      const call: Call = { machineId, fail: (error) => finish(() => reject(error)) };
      this.inFlight.add(call);
      const finish = (settle: () => void) => {
        if (!this.settle(call)) return;
        cancelTimeout();
        settle();
      };
      const cancelTimeout = this.sim.schedule(options.timeoutMs, () => call.fail(new CallTimeoutError(options.what, options.machine, options.timeoutMs)));
      const wire = validate(apiFrameSchema, wireCopy({ id: 0, request }));
      this.sim.schedule(this.sim.network.delay(calmNetwork), () => {
        this.sim.trace.add(this.sim.now, 'api', 'test', machineId, this.sim.now, request.type);
        if (machine.manager !== target) return call.fail(down());
        const respond = (response: ApiResponse) => {
          const answer = wireCopy(response);
          this.sim.schedule(this.sim.network.delay(calmNetwork), () => finish(() => resolve(answer)));
        };
        if (!wire.ok) respond({ ok: false, error: describeError(new InvalidRequestError({ reason: wire.reason, detail: wire.detail })) });
        else target.handleApi(wire.value.request, respond);
      });
      this.startDriving(queueMicrotask);
    });
  }

  private readonly inFlight = new Set<Call>();
  private driving = false;
  /** Set when something the test awaits settles: the drive then stops, so its awaiter goes on at that instant. */
  private settledOne = false;

  private settle(call: Call): boolean {
    if (!this.inFlight.delete(call)) return false;
    this.settledOne = true;
    return true;
  }

  private startDriving(schedule: (drive: () => void) => void): void {
    if (this.driving) return;
    this.driving = true;
    schedule(() => this.drive());
  }

  /**
   * Run the simulation while the test awaits something, and only until one of those settles. Its
   * awaiter then runs at that virtual instant (and may ask more, or wait again) before time moves
   * on: concurrent clients of one test interleave as they would in real time, and each records the
   * time its call really completed. The drive resumes on the next turn of the event loop, after
   * every continuation the settling released has run.
   */
  private drive(): void {
    this.settledOne = false;
    try {
      this.sim.runWhile(() => this.inFlight.size > 0 && !this.settledOne);
    } catch (error) {
      for (const call of this.inFlight) call.fail(error);
    } finally {
      this.driving = false;
      if (this.inFlight.size > 0) this.startDriving(setImmediate);
    }
  }

  /**
   * Run virtual time until `check` holds. Between checks the simulation advances by `pollMs` of
   * virtual time (events only: no cost for idle time). A system with nothing left to happen that
   * still fails the check fails at once instead of spinning to the deadline.
   */
  override now(): number {
    return this.sim.now;
  }

  override simulationStats(): SimulationStats {
    let delivered = 0;
    let retransmitted = 0;
    const raw: RawStats = { sent: 0, delivered: 0, toUnknownNode: 0 };
    for (const machine of this.sim.allMachines()) {
      delivered += machine.linkStats.delivered;
      retransmitted += machine.linkStats.retransmitted;
      raw.sent += machine.rawStats.sent;
      raw.delivered += machine.rawStats.delivered;
      raw.toUnknownNode += machine.rawStats.toUnknownNode;
    }
    return { events: this.sim.eventsRun, delivered, retransmitted, raw, virtualMs: this.sim.now };
  }

  override async runUntilQuiet(limitMs: number): Promise<void> {
    const deadline = this.sim.now + limitMs;
    this.sim.runWhile(Number.isFinite(deadline) ? () => (this.sim.queue.peekTime() ?? Number.POSITIVE_INFINITY) <= deadline : () => true);
  }

  override digest(): string {
    return this.sim.trace.digest();
  }

  override async waitFor(check: Check, options: WaitOptions): Promise<void> {
    const deadline = this.sim.now + options.timeoutMs;
    const step = options.pollMs ?? 50;
    for (;;) {
      // Idle before the check means nothing changed while it ran (reads schedule nothing).
      const quietBefore = this.sim.idle();
      if (await check()) return;
      if (this.sim.now >= deadline) {
        throw new WaitTimeoutError(`timed out after ${options.timeoutMs} virtual ms waiting until ${options.what} (seed ${this.seed})`);
      }
      if (quietBefore && this.sim.idle()) {
        throw new WaitTimeoutError(`the system went quiet at ${this.sim.now.toFixed(1)} virtual ms and never came to ${options.what} (seed ${this.seed})`);
      }
      this.sim.runUntil(Math.min(deadline, this.sim.now + step));
    }
  }

  override async configureNetwork(conditions: Partial<LinkConditions>, link?: { from: string; to: string }): Promise<void> {
    this.sim.network.configure(conditions, link);
  }

  override async partition(groupA: readonly string[], groupB: readonly string[]): Promise<void> {
    this.sim.network.partition(groupA, groupB);
  }

  override async heal(): Promise<void> {
    this.sim.network.heal();
  }

  /** The machine's process dies now: only its journal is left, and every call in flight to it fails. */
  protected override async crashMachine(machineId: string): Promise<void> {
    this.sim.machine(machineId).crash();
    const down = new MachineDownError({ machineId, machine: this.nameOf(machineId) });
    for (const call of this.inFlight) if (call.machineId === machineId) call.fail(down);
  }

  protected override async restartMachine(machineId: string): Promise<void> {
    this.sim.machine(machineId).restart();
  }

  override async faultCounts(): Promise<FaultCounts> {
    return { ...this.sim.network.faults, crashes: this.crashes, skewed_clocks: this.skewedClocks };
  }

  /** A wait in virtual time, driven like a request: other clients' calls go on meanwhile. */
  override pass(ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const wait: Call = { machineId: undefined, fail: (error) => this.settle(wait) && reject(error) };
      this.inFlight.add(wait);
      this.sim.schedule(ms, () => this.settle(wait) && resolve());
      this.startDriving(queueMicrotask);
    });
  }

  async cleanUp(): Promise<void> {
    for (const machine of this.sim.allMachines()) machine.manager?.close();
  }

  override async attachments(_failed: boolean): Promise<Attachment[]> {
    const summary = {
      seed: this.seed,
      systemId: this.systemId,
      virtualTimeMs: this.sim.now,
      events: this.sim.eventsRun,
      traceDigest: this.sim.trace.digest(),
      faults: this.sim.network.faults,
    };
    const names = new Map([...this.sim.allMachines()].map((m) => [m.id, m.name]));
    return [
      { name: 'simulation.json', contentType: 'application/json', body: JSON.stringify(summary, null, 2) },
      { name: 'sequence-diagram.svg', contentType: 'image/svg+xml', body: sequenceDiagram(this.sim.trace.events, names, { earlier: this.sim.trace.dropped }) },
    ];
  }
}
