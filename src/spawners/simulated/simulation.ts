/**
 * The discrete-event core: one seeded generator, one agenda, virtual time that jumps from event to
 * event. Cost grows with the number of events, never with machines x time steps: timers are events
 * and idle machines schedule nothing.
 */
import type { Logger } from '../../logging.ts';
import type { Address, Packet, Transport } from '../../messages/index.ts';
import { packetSchema } from '../../messages/index.ts';
import type { Cancel } from '../../runtime/machine-controller.ts';
import type { DelayedAck, HostTimer, MachineHost } from '../../runtime/machine-host.ts';
import type { LinkStats } from '../../runtime/links.ts';
import { NodeManager, type MachineSnapshot, type RawStats } from '../../runtime/node-manager.ts';
import type { Registry } from '../../nodes/kinds.ts';
import { UnknownMachineError, describeError, nodeFailedDuring } from '../../runtime/errors.ts';
import { sealedLength } from '../../runtime/wire.ts';
import { EventQueue, type SimEvent } from './event-queue.ts';
import { NetworkModel, calmNetwork } from '../../runtime/network-model.ts';
import { Rng, fnv1a } from '../../runtime/rng.ts';
import { SimulationError } from './simulation-error.ts';
import { Trace, traceParty, type TraceParty } from './trace.ts';

export interface SimulationOptions {
  seed: number;
  logger: Logger;
  /** The node kinds machines can run. */
  registry: Registry;
  /** JSON round-trip and validate every packet, as a real wire would. */
  serialize?: boolean;
  /** Test-only: turn off duplicate suppression in every machine's links. */
  brokenDedup?: boolean;
  /** How many of the run's last events the trace keeps whole (default 2,000; Infinity keeps every one, as the determinism check needs). */
  traceEvents?: number;
}

/** The trace's events kept whole by default: the last stretch of a run, which a failure ends. */
const DEFAULT_TRACE_EVENTS = 2000;

/** Every machine's clock until it is skewed: shared, so an unskewed machine carries none of its own. */
const TRUE_CLOCK = Object.freeze({ baseTrue: 0, baseMachine: 0, rate: 1 });

/** A NodeManager's options, shared by every machine (one object each would cost an idle machine bytes). */
const CHECK_ARRIVALS = Object.freeze({ checkArrivals: true });
const TRUST_ARRIVALS = Object.freeze({ checkArrivals: false });

const NO_LINK_STATS: Readonly<LinkStats> = Object.freeze({ sent: 0, retransmitted: 0, delivered: 0, duplicatesDropped: 0 });
const NO_RAW_STATS: Readonly<RawStats> = Object.freeze({ sent: 0, delivered: 0, toUnknownNode: 0 });

/**
 * One simulated machine: the MachineHost its NodeManager — its process — runs on. A crash is the
 * process dying: the machine keeps only its journal (the NodeManager's snapshot, which the real
 * runner writes after every step, so at the crash instant it is the state after the last event);
 * the nodes, every timer they or the links had armed, and the calls in flight to it are gone, and
 * packets that reach it while down are lost. A restart builds a new NodeManager and restores the
 * journal exactly as the real runner does at boot (each state checked by its kind's schema, each
 * node's `resume` re-arming its own timers). So a node whose resume forgets something fails here
 * as it would on a real machine.
 */
export class SimulatedMachine implements MachineHost, TraceParty {
  /** Its id hashed, for the trace's digest (every event names two machines). */
  readonly traceCode: number;
  /** How nodes reach this machine (the spawner hands the same object to the test). */
  readonly transport: Transport;

  /** The running process; undefined while the machine is down. */
  manager: NodeManager | undefined;
  /** Bumped by every crash: a timer armed in an earlier life of the machine never fires. */
  life = 0;
  /**
   * Once it has crashed: what its process had journaled (undefined again once it restarted), and the
   * counters of its earlier lives (not part of the journal), carried into the next process.
   */
  private past: { journal: string | undefined; stats: LinkStats; raw: RawStats } | undefined;
  private ownLogger: Logger | undefined;
  /** Its share of the lazy acks (see Simulation): made when the first ack concerns it. */
  acks: MachineAcks | undefined;
  private ownIncarnation: string | undefined;

  constructor(
    private readonly sim: Simulation,
    readonly id: string,
    readonly name: string,
  ) {
    this.transport = { machineId: id, address: { kind: 'sim', machineId: id } };
    this.traceCode = fnv1a(id);
    this.manager = this.boot();
  }

  get address(): Address {
    return this.transport.address;
  }

  /** Drawn when first asked (when its links first send): an idle machine keeps no string for it. */
  get incarnation(): string {
    return (this.ownIncarnation ??= this.sim.rng.hex(8));
  }

  get up(): boolean {
    return this.manager !== undefined;
  }

  /** Counters of every life of this machine, for the simulation's stats. */
  get linkStats(): Readonly<LinkStats> {
    return this.manager?.linkStats ?? this.past?.stats ?? NO_LINK_STATS;
  }

  get rawStats(): Readonly<RawStats> {
    return this.manager?.rawStatsIfAny ?? this.past?.raw ?? NO_RAW_STATS;
  }

  /** A fresh process. Packets that went through JSON are checked on arrival, as a real machine checks its wire's. */
  private boot(): NodeManager {
    const manager = new NodeManager(this.id, this.name, this, this.sim.options.registry, this.sim.options.serialize ? CHECK_ARRIVALS : TRUST_ARRIVALS);
    if (this.sim.options.brokenDedup) manager.links.dedup = false;
    if (this.past) {
      Object.assign(manager.links.stats, this.past.stats);
      Object.assign(manager.rawStats, this.past.raw);
    }
    return manager;
  }

  crash(): void {
    const manager = this.manager;
    if (!manager) throw new Error(`machine ${this.name} is already down`);
    // What reached it before the crash is in its journal; what is still on its way finds it down
    // (or restarted), and what its peers owe it leaves on time.
    this.sim.catchUp(this);
    this.sim.releaseArrivals(this);
    this.sim.releaseAcksTo(this);
    const journal = JSON.stringify(manager.snapshot());
    manager.close();
    this.past = { journal, stats: { ...this.linkStats }, raw: { ...this.rawStats } };
    this.manager = undefined;
    this.life++;
  }

  restart(): void {
    this.sim.noteChange(this);
    const journal = this.past?.journal;
    if (journal === undefined) throw new Error(`machine ${this.name} is up`);
    this.past!.journal = undefined;
    const manager = (this.manager = this.boot());
    manager.restore(JSON.parse(journal) as MachineSnapshot);
  }

  /**
   * Made on first use: an idle machine should cost bytes, not a logger. A simulation that logs
   * nothing at all (a benchmark's, a script's) gives no machine a child of its own: the child would
   * write nothing either, and making a thousand of them costs more than the nodes they start.
   */
  get logger(): Logger {
    if (this.ownLogger) return this.ownLogger;
    const parent = this.sim.logger;
    return (this.ownLogger = parent.isLevelEnabled('fatal') ? parent.child({ machine_id: this.id, machine_name: this.name }) : parent);
  }

  /** This machine's clock: true (virtual) time shifted and scaled, from the moment it was skewed. */
  private clock: { readonly baseTrue: number; readonly baseMachine: number; readonly rate: number } = TRUE_CLOCK;

  now(): number {
    return this.clock.baseMachine + (this.sim.now - this.clock.baseTrue) * this.clock.rate;
  }

  setClock(offsetMs: number, rate: number): void {
    this.clock = { baseTrue: this.sim.now, baseMachine: this.sim.now + offsetMs, rate };
  }

  /** A timer of its own for `fn` (a node's): it fires as every HostTimer does (see fireTimer). */
  schedule(delayMs: number, fn: () => void): Cancel {
    const timer: HostTimer = { fire: fn, timerHandle: undefined };
    this.armTimer(delayMs, timer);
    return () => this.disarmTimer(timer);
  }

  armTimer(delayMs: number, timer: HostTimer): void {
    const event = new TimerEvent(this.sim.now + Math.max(0, delayMs / this.clock.rate), this.sim.fireTimer, this, timer);
    this.sim.queue.insert(event);
    timer.timerHandle = event;
  }

  disarmTimer(timer: HostTimer): void {
    const event = timer.timerHandle as TimerEvent | undefined;
    if (event) this.sim.queue.cancel(event);
    timer.timerHandle = undefined;
  }

  scheduleAck(delayMs: number, to: Address, ack: DelayedAck): void {
    this.sim.deferAck(this, this.sim.now + Math.max(0, delayMs / this.clock.rate), to, ack);
  }

  cancelAck(ack: DelayedAck): void {
    this.sim.dropAck(ack.timerHandle as PendingAck | undefined);
  }

  settleAck(ack: DelayedAck): void {
    this.sim.settleAck(ack.timerHandle as PendingAck | undefined);
  }

  awaitAcks(): void {
    const acks = (this.acks ??= new MachineAcks());
    if (acks.prompt) return;
    acks.prompt = true;
    this.sim.releaseArrivals(this);
  }

  transmit(to: Address, packet: Packet): void {
    if (this.up) this.sim.transmit(this, to, packet);
  }

  nodeFailed(error: unknown, context: { nodeId: string; during: string }): void {
    this.sim.fail(nodeFailedDuring({ ...context, machine: this.name }), error);
  }
}

export class Simulation {
  now = 0;
  readonly rng: Rng;
  readonly network: NetworkModel;
  readonly trace: Trace;
  readonly logger: Logger;
  readonly queue = new EventQueue();
  readonly machines = new Map<string, SimulatedMachine>();
  private failure: SimulationError | undefined;
  /**
   * Machines a waiting test has read, and whether anything has happened on one since (an event on
   * it, or its crash or restart): until then, a probe that reads only them would see what it saw.
   */
  watched: Set<SimulatedMachine> | undefined;
  watchedChanged = false;
  eventsRun = 0;

  constructor(readonly options: SimulationOptions) {
    this.rng = new Rng(options.seed);
    this.trace = new Trace(50, options.traceEvents ?? DEFAULT_TRACE_EVENTS);
    this.network = new NetworkModel(this.rng, calmNetwork);
    this.logger = options.logger;
  }

  get seed(): number {
    return this.options.seed;
  }

  addMachine(id: string, name: string): SimulatedMachine {
    const machine = new SimulatedMachine(this, id, name);
    this.machines.set(id, machine);
    return machine;
  }

  machine(id: string): SimulatedMachine {
    const machine = this.machines.get(id);
    if (!machine) throw new UnknownMachineError({ machineId: id });
    return machine;
  }

  allMachines(): IterableIterator<SimulatedMachine> {
    return this.machines.values();
  }

  schedule(delayMs: number, fn: () => void): Cancel {
    return this.queue.push(this.now + Math.max(0, delayMs), fn);
  }

  transmit(from: SimulatedMachine, to: Address, packet: Packet): void {
    if (to.kind !== 'sim') throw new Error(`a simulated machine cannot send to ${to.kind} address ${JSON.stringify(to)}`);
    const target = this.machines.get(to.machineId);
    const sentAt = this.now;
    const network = this.network;
    const copies = network.decide(from.id, to.machineId, sealedBytes, packet);
    // A corrupted packet arrives, and its receiver's frame authentication throws it away.
    if (copies === 0 || network.lastCorrupted) {
      this.trace.add(sentAt, 'lost', from, target ?? traceParty(to.machineId), sentAt, packet);
      return;
    }
    const wire = this.options.serialize ? JSON.stringify(packet) : undefined;
    // An ack to a machine that is up and not waiting on acks is applied lazily (see catchUp).
    const queue = packet.type === 'ack' && target !== undefined && target.up && !target.acks?.prompt ? (target.acks ??= new MachineAcks()).arrivals : this.queue;
    queue.insert(new Delivery(sentAt + network.firstDelay, this.deliver, from, target, packet, wire, sentAt));
    if (copies === 2) queue.insert(new Delivery(sentAt + network.secondDelay, this.deliver, from, target, packet, wire, sentAt));
  }

  /** One handler for every armed HostTimer: it fires in the life of its machine it was armed in. */
  readonly fireTimer = (e: TimerEvent): void => {
    const machine = e.machine;
    if (machine.life !== e.life) return;
    // Acks that reached the machine apply first; the timer stays armed meanwhile, so a packet they
    // let out of the window does not arm a second one.
    this.catchUp(machine);
    e.timer.timerHandle = undefined;
    e.timer.fire();
  };

  /** One handler for every delivery (see EventQueue): the packet reaches its machine, if it is up. */
  private readonly deliver = (d: Delivery) => {
    const target = d.target;
    const manager = target?.manager;
    if (!target || !manager) {
      this.network.faults.to_down_machine++;
      return;
    }
    this.catchUp(target);
    this.arrive(d, manager);
  };

  private arrive(d: Delivery, manager: NodeManager): void {
    const arrived = d.wire === undefined ? d.packet : packetSchema.parse(JSON.parse(d.wire));
    this.trace.add(this.now, 'deliver', d.from, d.target!, d.sentAt, arrived);
    manager.receivePacket(arrived);
  }

  /*
   * Lazy acks. A link's delayed ack is a timer that sends one packet, and an ack's arrival only
   * changes its link's sender-side state, which nothing reads until something happens on that
   * machine. So neither costs an event. A delayed ack waits in the queue of the machine it is for;
   * it is sent, with the clock at its due time, when the first of these comes after that time:
   *   - something happens on the machine it is for (a delivery, a timer, an API request, a crash):
   *     that machine must first see every ack that has reached it;
   *   - its own link is about to change (settleAck: a packet arrives on it), or its machine crashes:
   *     until then its link is as it was at the due time, so the ack is the one it would have sent;
   *   - the network's conditions change: it left under the old ones.
   * Acks that reached a machine are applied, in arrival order and with the clock at each arrival,
   * before anything happens on it. The network decides each ack's fate as for an eager one. Only a
   * link whose window is full (awaitAcks) or a machine that crashes needs its acks on time: those
   * become events (the acks in flight to a crashed machine, and those its peers still owe it, then
   * find it down, or restarted, exactly as eager ones would).
   */

  /** Arm `from`'s delayed ack, due at `due` (true time), for the machine at `to`. */
  deferAck(from: SimulatedMachine, due: number, to: Address, ack: DelayedAck): void {
    // An ack for a machine that does not exist waits in its sender's own queue: it is still sent
    // (and lost on the way, as an eager one would be) when its sender catches up.
    const target = (to.kind === 'sim' ? this.machines.get(to.machineId) : undefined) ?? from;
    // One record per link, armed again and again, and its own event: arming an ack allocates nothing.
    const pending = ((ack.timerHandle as PendingAck | undefined) ??= new PendingAck(ack));
    const queue = (target.acks ??= new MachineAcks()).to;
    pending.at = due;
    pending.queue = queue;
    pending.fn = noop;
    queue.insert(pending);
  }

  /** A delayed ack's link is about to change: if the ack is due, it goes first (see above). */
  settleAck(pending: PendingAck | undefined): void {
    if (pending?.armed && pending.at <= this.now) this.sendAck(pending);
  }

  /**
   * Its machine goes away now: a delayed ack due by now had left; a later one never will (the
   * timer dies with the process). Also how an ack that rides on a data packet is withdrawn: it was
   * settled first, so it is not due.
   */
  dropAck(pending: PendingAck | undefined): void {
    if (!pending?.armed) return;
    if (pending.at <= this.now) return this.sendAck(pending);
    pending.queue!.cancel(pending);
  }

  /** Take a delayed ack out of its queue and send it as of its due time. */
  private sendAck(pending: PendingAck): void {
    pending.queue!.cancel(pending);
    this.sendAsOf(pending);
  }

  private sendAsOf(pending: PendingAck): void {
    const now = this.now;
    this.now = pending.at;
    pending.ack.fire();
    this.now = now;
  }

  /** A delayed ack that became an event (its target crashed): it leaves at its due time. */
  private readonly ackDue = (pending: PendingAck): void => {
    pending.ack.fire();
  };

  /**
   * `m` crashed: the delayed acks its peers owe it leave at their due times as events, so each finds
   * it down, or restarted, as it would (lazily, one sent after its restart would reach the new
   * process even if it was due while it was down).
   */
  releaseAcksTo(m: SimulatedMachine): void {
    const owed = m.acks?.to;
    if (!owed) return;
    for (let pending = owed.pop() as PendingAck | undefined; pending; pending = owed.pop() as PendingAck | undefined) {
      // Popping took its handler out (see EventQueue.pop): it goes into the agenda with another.
      pending.queue = this.queue;
      pending.fn = this.ackDue as (arg: never) => void;
      this.queue.insert(pending);
    }
  }

  /** Something happens on `m` (an event, a request, a restart): a wait that read it must read again. */
  noteChange(m: SimulatedMachine): void {
    if (this.watched?.has(m)) this.watchedChanged = true;
  }

  /** Bring machine `m` up to now: the delayed acks for it due by now leave, and the acks that reached it apply. */
  catchUp(m: SimulatedMachine): void {
    this.noteChange(m);
    const acks = m.acks;
    if (!acks) return;
    if (acks.to.size) this.sendDue(acks.to);
    const arrivals = acks.arrivals;
    if (!arrivals.size) return;
    const now = this.now;
    for (let due = arrivals.peekTime(); due !== undefined && due <= now; due = arrivals.peekTime()) {
      const event = arrivals.pop()!;
      this.now = due;
      this.arrive(event.arg as Delivery, m.manager!);
    }
    this.now = now;
  }

  private sendDue(acks: EventQueue): void {
    const now = this.now;
    for (let due = acks.peekTime(); due !== undefined && due <= now; due = acks.peekTime()) {
      this.sendAsOf(acks.pop() as PendingAck);
    }
  }

  /** Acks on their way to `m` become events: it waits on them, or is about to crash. */
  releaseArrivals(m: SimulatedMachine): void {
    const arrivals = m.acks?.arrivals;
    if (!arrivals) return;
    for (let event = arrivals.pop(); event; event = arrivals.pop()) {
      // Popping took its handler out (see EventQueue.pop): it goes back in with it.
      event.fn = this.deliver;
      this.queue.insert(event);
    }
  }

  /** Before the network's conditions change: every delayed ack due by now leaves under the old ones. */
  sendDueAcks(): void {
    for (const m of this.machines.values()) if (m.acks?.to.size) this.sendDue(m.acks.to);
  }


  /** Record a node failure; the run loop stops and throws it. */
  fail(message: string, cause: unknown): void {
    if (this.failure) return;
    const detail = describeError(cause);
    this.failure = new SimulationError(`${message}: ${detail.name}: ${detail.message}`, this.seed, this.now, this.trace.recent(), {
      cause,
    });
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Nothing left to happen: no packet in flight, no timer pending. */
  idle(): boolean {
    return this.queue.size === 0;
  }

  /** Run every event due at or before `deadline`, then leave the clock at `deadline` (throws when a node fails). */
  runUntil(deadline: number): void {
    this.runWhile(() => (this.queue.peekTime() ?? Number.POSITIVE_INFINITY) <= deadline);
    this.now = Math.max(this.now, deadline);
  }

  /** Run events while `more` holds (checked before each), without moving the clock past the last event. */
  runWhile(more: () => boolean): void {
    while (more()) {
      this.throwIfFailed();
      const event = this.queue.pop();
      if (!event) break;
      this.now = event.at;
      this.eventsRun++;
      const run = this.queue.next!;
      run(event.arg as never);
    }
    this.throwIfFailed();
  }
}

/** A packet on its way to a machine: its own event (the handler gets it back as its argument). */
class Delivery implements SimEvent {
  seq = 0;
  fn: ((arg: never) => void) | undefined;
  readonly arg: Delivery = this;

  constructor(
    readonly at: number,
    deliver: (d: Delivery) => void,
    readonly from: SimulatedMachine,
    readonly target: SimulatedMachine | undefined,
    readonly packet: Packet,
    readonly wire: string | undefined,
    readonly sentAt: number,
  ) {
    this.fn = deliver as (arg: never) => void;
  }
}

/** A HostTimer armed on a machine: its own event. */
class TimerEvent implements SimEvent {
  seq = 0;
  fn: ((arg: never) => void) | undefined;
  readonly arg: TimerEvent = this;
  readonly life: number;

  constructor(
    readonly at: number,
    fire: (e: TimerEvent) => void,
    readonly machine: SimulatedMachine,
    readonly timer: HostTimer,
  ) {
    this.fn = fire as (arg: never) => void;
    this.life = machine.life;
  }
}

/** A machine's share of the lazy acks. */
class MachineAcks {
  /** Delayed acks addressed to it, not yet sent. */
  readonly to = new EventQueue();
  /** Acks sent to it and not yet applied, by arrival time. */
  readonly arrivals = new EventQueue();
  /** A link here waits on acks to send more: acks to it arrive as events (set for good). */
  prompt = false;
}

/**
 * A link's delayed ack: its own event, armed (in `queue`: its target's, or the agenda's, due `at`)
 * or not. Armed again and again, it is inserted again each time (see EventQueue: an entry it left
 * behind when cancelled is told apart by its sequence number).
 */
class PendingAck implements SimEvent {
  at = 0;
  seq = 0;
  fn: ((arg: never) => void) | undefined = undefined;
  readonly arg: PendingAck = this;
  queue: EventQueue | undefined = undefined;

  constructor(readonly ack: DelayedAck) {}

  get armed(): boolean {
    return this.fn !== undefined;
  }
}

const noop = (): void => undefined;

/** A packet's size on a real wire: its JSON sealed (clear header and GCM tag). */
function sealedBytes(packet: Packet): number {
  return sealedLength(Buffer.byteLength(JSON.stringify(packet)));
}
