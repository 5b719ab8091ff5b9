/**
 * Simulated mode: every machine is an object in this process and a seeded discrete-event network
 * carries their packets. The test's calls into the system take virtual time too (one network delay
 * each way), so the system runs concurrently with the test as it would for real.
 */
import { withVirtualClock, type Logger } from '../../logging.ts';
import { apiFrameSchema, apiRequestSchema, type ApiRequest, type ApiResponse } from '../../messages/index.ts';
import { compiledCheck } from '../../messages/compiled-check.ts';
import { wireCopy } from '../../messages/wire-copy.ts';
import { InvalidRequestError, MachineDownError, UnknownMachineError, describeError } from '../../runtime/errors.ts';
import { validate, type Opened } from '../../runtime/wire.ts';
import { CallTimeoutError } from '../api-client.ts';
import type { FaultCounts, LinkConditions } from '../faults.ts';
import { Spawner, WaitTimeoutError, type Attachment, type Check, type MachineSpec, type SendOptions, type SimulationStats, type SpawnedMachine, type Systems, type WaitOptions } from '../spawner.ts';
import { calmNetwork } from '../../runtime/network-model.ts';
import type { NodeManager, RawStats } from '../../runtime/node-manager.ts';
import { Rng } from '../../runtime/rng.ts';
import { sequenceDiagram, type DiagramOptions } from './sequence-diagram.ts';
import type { SimEvent } from './event-queue.ts';
import { Simulation, type SimulatedMachine } from './simulation.ts';
import { traceParty } from './trace.ts';

export interface SimulatedSpawnerOptions {
  seed: number;
  logger: Logger;
  systems: Systems;
  serialize?: boolean;
  /** Test-only: machines deliver duplicates again, to show the checks catch a broken link layer. */
  brokenDedup?: boolean;
  /** How many of the run's last events the trace keeps whole (see Simulation). */
  traceEvents?: number;
}

/**
 * A request on its way: which machine and process it is for, what it carries, and how to settle it
 * (at most once). One object per call, carried by its events: no closure is made per call (under
 * tsx every named closure also costs a defineProperty of its name).
 */
class PendingCall {
  settled = false;
  answer: ApiResponse | undefined = undefined;

  constructor(
    readonly machineId: string,
    readonly machine: SimulatedMachine,
    /** The process the request is meant for: after a crash, a restarted machine runs another one. */
    readonly target: NodeManager,
    readonly type: string,
    /** The request as the machine reads it off the wire, or why the machine refuses it. */
    readonly arrives: ApiRequest | Refused,
    readonly options: SendOptions,
    /** Virtual time at which it fails with CallTimeoutError unless answered. */
    readonly deadline: number,
    readonly resolve: (response: ApiResponse) => void,
    readonly reject: (error: unknown) => void,
  ) {}
}

type Refused = Extract<Opened<unknown>, { ok: false }>;

/** The test, as the trace names it. */
const TEST_PARTY = traceParty('test');

/**
 * The test's own link to every machine: a calm link's mean one-way delay, without jitter. Calls made
 * together (a Promise.all over a thousand nodes) then arrive together and are answered together,
 * and the drive stops once for all of them rather than once per call; each call still costs a round
 * trip of virtual time. The faults a test injects are between machines, never on this link.
 */
const TEST_LINK_MS = calmNetwork.latencyMs + calmNetwork.jitterMs;

/**
 * What a machine reads off the wire: the request copied as JSON would carry it, checked as the frame
 * a real machine opens. The frame's number (0) always passes, so the fast path checks the request
 * alone with the same compiled check the frame's schema runs on it; anything else gets the frame's
 * full validation (and its error, path and all).
 */
function offTheWire(request: ApiRequest): ApiRequest | Refused {
  const copy = wireCopy(request);
  if (compiledCheck(apiRequestSchema)(copy)) return copy;
  const opened = validate(apiFrameSchema, { id: 0, request: copy });
  return opened.ok ? opened.value.request : opened;
}

/**
 * What crosses the test's link at one instant shares one event: the link's delay is fixed, so a
 * thousand reads made together arrive together and, answered at once, come back together, two
 * events in all rather than two thousand. Each is handled in the order it was sent, as separate
 * events at one instant would be.
 */
class Crossings {
  private at = Number.NaN;
  private batch: PendingCall[] | undefined;

  constructor(
    private readonly sim: Simulation,
    private readonly handle: (call: PendingCall) => void,
  ) {}

  add(call: PendingCall): void {
    const at = this.sim.now + TEST_LINK_MS;
    if (this.batch && this.at === at) {
      this.batch.push(call);
      return;
    }
    const batch = [call];
    this.batch = batch;
    this.at = at;
    this.sim.queue.add(at, this.land, batch);
  }

  private readonly land = (batch: PendingCall[]): void => {
    if (this.batch === batch) this.batch = undefined;
    for (const call of batch) this.handle(call);
  };
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
    // Its lines carry the simulation's time (the clock is set once the simulation exists).
    const clock = { now: () => 0 };
    const logger = withVirtualClock(options.logger.child({ mode: 'simulated', system_id: systemId }), () => clock.now());
    super(logger, options.systems);
    clock.now = () => this.sim.now;
    this.systemId = systemId;
    this.sim = new Simulation({ seed: options.seed, logger, registry: options.systems.registry, serialize: options.serialize ?? false, brokenDedup: options.brokenDedup ?? false, traceEvents: options.traceEvents });
    this.requests = new Crossings(this.sim, this.arrived);
    this.answers = new Crossings(this.sim, this.answered);
  }

  get seed(): number {
    return this.sim.seed;
  }

  /**
   * Ids are the keys of the simulator's hottest lookups (links by sender and receiver, nodes by id,
   * machines by id). A template literal of 13 or more characters is a rope (V8's ConsString), and
   * a Map lookup keyed by a rope was five times slower than one keyed by a flat string: `join`
   * builds the id flat, once.
   */
  newId(prefix: string): string {
    return [prefix, this.sim.rng.hex(6)].join('-');
  }

  async createMachines(specs: readonly MachineSpec[]): Promise<SpawnedMachine[]> {
    return specs.map(({ name }) => {
      const machine = this.sim.addMachine(this.newId(name), name);
      // The simulated machine is its own record (id, name, transport): nothing more to keep per machine.
      return machine;
    });
  }

  /**
   * A request travels to its machine and its answer back, TEST_LINK_MS each way, as
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
    const target = machine.manager;
    if (!target) return Promise.reject(new MachineDownError({ machineId, machine: options.machine }));
    return new Promise<ApiResponse>((resolve, reject) => {
      const deadline = this.sim.now + Math.max(0, options.timeoutMs);
      const call = new PendingCall(machineId, machine, target, request.type, offTheWire(request), options, deadline, resolve, reject);
      this.track(call);
      this.requests.add(call);
      this.startDriving(queueMicrotask);
    });
  }

  /** The request reaches its machine: the process it was meant for answers it, now or later. */
  private readonly arrived = (call: PendingCall): void => {
    this.sim.trace.add(this.sim.now, 'api', TEST_PARTY, call.machine, this.sim.now, { type: 'api', call: call.type, detail: call.arrives });
    if (call.machine.manager !== call.target) return this.fail(call, new MachineDownError({ machineId: call.machineId, machine: call.options.machine }));
    this.sim.catchUp(call.machine);
    // A probe's read of a node: from now on, what happens on its machine may change what it reads.
    if (this.probe) {
      if (call.type === 'call_node') (this.sim.watched ??= new Set()).add(call.machine);
      else this.probeReadsMoreThanNodes();
    }
    const arrives = call.arrives;
    if ('ok' in arrives) return this.respond(call, { ok: false, error: describeError(new InvalidRequestError({ reason: arrives.reason, detail: arrives.detail })) });
    call.target.handleApi(arrives, (response) => this.respond(call, response));
  };

  /** The answer leaves the machine, copied as JSON would carry it, and takes a calm delay back. */
  private respond(call: PendingCall, response: ApiResponse): void {
    call.answer = wireCopy(response);
    this.answers.add(call);
  }

  private readonly answered = (call: PendingCall): void => {
    if (!this.settle(call)) return;
    const answer = call.answer!;
    this.sim.trace.add(this.sim.now, 'answer', call.machine, TEST_PARTY, this.sim.now, { type: 'api', call: call.type, detail: answer });
    call.resolve(answer);
  };

  /** Requests on their way to machines, and answers on their way back (see Crossings). */
  private readonly requests: Crossings;
  private readonly answers: Crossings;

  private fail(call: PendingCall, error: unknown): void {
    if (this.settle(call)) call.reject(error);
  }

  /**
   * Calls in flight, by deadline (then by when they were made). Timeouts are kept here rather than
   * as an event per call: almost every call is answered long before its deadline, and an event per
   * call would be made, cancelled and carried through the agenda for nothing. One event waits for
   * the earliest deadline; settled calls are skipped when it fires, and once nothing is in flight
   * it is cancelled, so a system with no call pending is idle exactly as before.
   */
  private readonly calls: PendingCall[] = [];
  /** Calls before this index in `calls` are settled and passed. */
  private callsHead = 0;
  private inFlight = 0;
  private driving = false;
  private timeoutCheck: SimEvent | undefined;

  private track(call: PendingCall): void {
    const calls = this.calls;
    // Equal timeouts come in deadline order: this is an append, save for a shorter timeout.
    let i = calls.length;
    while (i > this.callsHead && calls[i - 1]!.deadline > call.deadline) i--;
    if (i === calls.length) calls.push(call);
    else calls.splice(i, 0, call);
    this.inFlight++;
    if (i === this.callsHead) this.scheduleTimeoutCheck(call.deadline);
  }

  private scheduleTimeoutCheck(at: number): void {
    if (this.timeoutCheck) this.sim.queue.cancel(this.timeoutCheck);
    this.timeoutCheck = this.sim.queue.add(at, this.checkTimeouts, undefined);
  }

  /** The earliest deadline has come: every call due and still in flight fails with CallTimeoutError. */
  private readonly checkTimeouts = (): void => {
    this.timeoutCheck = undefined;
    const now = this.sim.now;
    while (this.callsHead < this.calls.length) {
      const call = this.calls[this.callsHead]!;
      if (!call.settled && call.deadline > now) break;
      this.callsHead++;
      if (!call.settled) this.fail(call, new CallTimeoutError(call.options.what, call.options.machine, call.options.timeoutMs));
    }
    this.dropPassedCalls();
    if (this.inFlight > 0) this.scheduleTimeoutCheck(this.calls[this.callsHead]!.deadline);
  };

  /** Take the call out of flight (false when it was settled already). */
  private settle(call: PendingCall): boolean {
    if (call.settled) return false;
    call.settled = true;
    this.settledOne = true;
    if (--this.inFlight === 0) {
      // Nothing in flight: no deadline to wait for, and nothing to remember.
      if (this.timeoutCheck) this.sim.queue.cancel(this.timeoutCheck);
      this.timeoutCheck = undefined;
      this.calls.length = 0;
      this.callsHead = 0;
    }
    return true;
  }

  /** Skip settled calls at the front, and let go of the passed ones once they are most of the list. */
  private dropPassedCalls(): void {
    while (this.callsHead < this.calls.length && this.calls[this.callsHead]!.settled) this.callsHead++;
    if (this.callsHead > 64 && this.callsHead * 2 > this.calls.length) {
      this.calls.splice(0, this.callsHead);
      this.callsHead = 0;
    }
  }

  /** Every call still in flight (for failing them all, or those to one machine). */
  private *pendingCalls(): IterableIterator<PendingCall> {
    for (const call of this.calls.slice(this.callsHead)) if (!call.settled) yield call;
  }

  /** `pass` waits in flight: each ends at its virtual instant (or fails with the simulation). */
  private readonly waits = new Set<(error?: unknown) => void>();
  /** Set when something the test awaits settles: the drive then stops, so its awaiter goes on at that instant. */
  private settledOne = false;

  private startDriving(schedule: (drive: () => void) => void): void {
    if (this.driving) return;
    this.driving = true;
    schedule(this.drive);
  }

  /**
   * Run the simulation while the test awaits something, and only until one of those settles. Its
   * awaiter then runs at that virtual instant (and may ask more, or wait again) before time moves
   * on: concurrent clients of one test interleave as they would in real time, and each records the
   * time its call really completed. The drive resumes on the next turn of the event loop, after
   * every continuation the settling released has run.
   */
  private readonly drive = (): void => {
    this.settledOne = false;
    try {
      this.sim.runWhile(this.awaitedAndNoneSettled);
    } catch (error) {
      for (const call of this.pendingCalls()) this.fail(call, error);
      for (const end of [...this.waits]) end(error);
    } finally {
      this.driving = false;
      if (this.awaited()) this.startDriving(setImmediate);
    }
  };

  private awaited(): boolean {
    return this.inFlight > 0 || this.waits.size > 0;
  }

  /**
   * Go on while the test awaits something and nothing it awaits has settled, or while more events
   * fall at the very instant something settled (calls made together are answered together: their
   * awaiters all go on at that instant, after one stop of the drive, not one each).
   */
  private readonly awaitedAndNoneSettled = (): boolean => {
    if (!this.awaited()) return false;
    if (!this.settledOne) return true;
    return this.sim.queue.peekTime() === this.sim.now;
  };

  /** The simulation knows every machine: no table beside it. */
  override spawnedMachine(machineId: string): SpawnedMachine | undefined {
    return this.sim.machines.get(machineId);
  }

  override now(): number {
    this.probeReadsMoreThanNodes();
    return this.sim.now;
  }

  override simulationStats(): SimulationStats {
    this.probeReadsMoreThanNodes();
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
    this.probeReadsMoreThanNodes();
    return this.sim.trace.digest();
  }

  /**
   * Run virtual time until `check` holds, checking at most every `pollMs` of virtual time (events
   * only: no cost for idle time). A check that read nothing but nodes is not run again until
   * something has happened on one of their machines since it read them: what it would read is what
   * it read, so waiting costs no call until then, however long the system stays busy elsewhere. A
   * check that reads anything else (fault counts, the clock, another request) is run every pollMs.
   * A system with nothing left to happen that still fails the check fails at once instead of
   * spinning to the deadline.
   */
  override async waitFor(check: Check, options: WaitOptions): Promise<void> {
    const deadline = this.sim.now + options.timeoutMs;
    const step = options.pollMs ?? 50;
    try {
      for (;;) {
        // Idle before the check means nothing changed while it ran (reads schedule nothing).
        const quietBefore = this.sim.idle();
        // Each check watches afresh the machines it reads.
        this.unwatch();
        const probe = { onlyNodes: true };
        this.probe = probe;
        let held: boolean;
        try {
          held = await check();
        } finally {
          this.probe = undefined;
        }
        if (held) return;
        if (this.sim.now >= deadline) {
          throw new WaitTimeoutError(`timed out after ${options.timeoutMs} virtual ms waiting until ${options.what} (seed ${this.seed})`);
        }
        if (quietBefore && this.sim.idle()) {
          throw new WaitTimeoutError(`the system went quiet at ${this.sim.now.toFixed(1)} virtual ms and never came to ${options.what} (seed ${this.seed})`);
        }
        this.sim.runUntil(Math.min(deadline, this.sim.now + step));
        if (probe.onlyNodes && this.sim.watched) {
          this.sim.runWhile(this.nothingReadChangedBefore(deadline));
          // Nothing it read changed before the deadline: the clock moves on to it, and the last check runs.
          if (!this.sim.watchedChanged && !this.sim.idle()) this.sim.now = Math.max(this.sim.now, deadline);
        }
      }
    } finally {
      // However the wait ends (a node's failure included), no machine stays watched.
      this.unwatch();
    }
  }

  /** What a waiting check reads, while it runs: a check that reads only nodes waits for them to change. */
  private probe: { onlyNodes: boolean } | undefined;

  /** The running check read something besides nodes (the clock, fault counts, ...): it is polled. */
  private probeReadsMoreThanNodes(): void {
    if (this.probe) this.probe.onlyNodes = false;
  }

  private nothingReadChangedBefore(deadline: number): () => boolean {
    return () => !this.sim.watchedChanged && (this.sim.queue.peekTime() ?? Number.POSITIVE_INFINITY) <= deadline;
  }

  private unwatch(): void {
    this.sim.watched = undefined;
    this.sim.watchedChanged = false;
  }

  override async configureNetwork(conditions: Partial<LinkConditions>, link?: { from: string; to: string }): Promise<void> {
    this.sim.sendDueAcks();
    this.sim.network.configure(conditions, link);
  }

  override async partition(groupA: readonly string[], groupB: readonly string[]): Promise<void> {
    this.sim.sendDueAcks();
    this.sim.network.partition(groupA, groupB);
  }

  override async heal(): Promise<void> {
    this.sim.sendDueAcks();
    this.sim.network.heal();
  }

  /** The machine's process dies now: only its journal is left, and every call in flight to it fails. */
  protected override async crashMachine(machineId: string): Promise<void> {
    this.sim.machine(machineId).crash();
    const down = new MachineDownError({ machineId, machine: this.nameOf(machineId) });
    for (const call of this.pendingCalls()) if (call.machineId === machineId) this.fail(call, down);
  }

  protected override async restartMachine(machineId: string): Promise<void> {
    this.sim.machine(machineId).restart();
  }

  override async faultCounts(): Promise<FaultCounts> {
    this.probeReadsMoreThanNodes();
    return this.counts();
  }

  private counts(): FaultCounts {
    return { ...this.sim.network.faults, crashes: this.crashes, skewed_clocks: this.skewedClocks };
  }

  /** A wait in virtual time, driven like a request: other clients' calls go on meanwhile. */
  override pass(ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const end = (error?: unknown) => {
        if (!this.waits.delete(end)) return;
        this.settledOne = true;
        if (error === undefined) resolve();
        else reject(error);
      };
      this.waits.add(end);
      this.sim.schedule(ms, () => end());
      this.startDriving(queueMicrotask);
    });
  }

  async cleanUp(): Promise<void> {
    for (const machine of this.sim.allMachines()) machine.manager?.close();
  }

  override sequenceDiagram(options: DiagramOptions = {}): string {
    const names = new Map([...this.sim.allMachines()].map((m) => [m.id, m.name]));
    return sequenceDiagram(this.sim.trace.events, names, { ...options, earlier: this.sim.trace.dropped });
  }

  override async attachments(_failed: boolean): Promise<Attachment[]> {
    const summary = {
      seed: this.seed,
      systemId: this.systemId,
      virtualTimeMs: this.sim.now,
      events: this.sim.eventsRun,
      traceDigest: this.sim.trace.digest(),
      faults: this.counts(),
    };
    return [
      { name: 'simulation.json', contentType: 'application/json', body: JSON.stringify(summary, null, 2) },
      { name: 'sequence-diagram.svg', contentType: 'image/svg+xml', body: this.sequenceDiagram() },
    ];
  }
}
