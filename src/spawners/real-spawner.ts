/**
 * What the docker and cloud spawners share: machines that run the real runner, reached through
 * their API clients. Network faults are the runner's: each machine applies the conditions to the
 * datagrams it sends (see MachineRunner), so they need nothing from the kernel or the cloud, and
 * each counts what it did. A mode adds only how machines start, crash and come back.
 */
import { randomInt } from 'node:crypto';
import type { Logger } from '../logging.ts';
import { apiResultSchemas, type ApiRequest, type ApiResponse } from '../messages/index.ts';
import type { ClockSkew } from './faults.ts';
import { addFaultCounts, emptyFaultCounts, faultCountsSchema, type FaultCounts, type LinkConditions } from '../messages/network.ts';
import type { RealMachines } from './real-machines.ts';
import { Spawner, type NodeFailures, type SendOptions, type Systems, type WireAccess } from './spawner.ts';

export abstract class RealSpawner extends Spawner {
  protected abstract readonly machines: RealMachines;
  /** Seeds every machine's fault generator (with the machine's id), as the simulator's is seeded. */
  readonly seed: number;
  /** The last counts each running process reported, and the counts of processes that died. */
  private readonly lastCounts = new Map<string, FaultCounts>();
  private readonly countsOfDead = emptyFaultCounts();
  /** Node failures each running process reported last, and those of processes that died. */
  private readonly lastFailures = new Map<string, NodeFailures>();
  private readonly failuresOfDead: NodeFailures = { count: 0, first: [] };
  /**
   * The network requests each machine was given, in order: the network is not the machine's, so a
   * restarted process is told them again (a restart must not heal a partition).
   */
  private readonly applied = new Map<string, ApiRequest[]>();
  /** Conditions asked for every link: machines started later get them too, as in simulation. */
  private readonly everyLink: ApiRequest[] = [];

  constructor(logger: Logger, systems: Systems, seed: number | undefined) {
    super(logger, systems);
    this.seed = seed ?? randomInt(2 ** 31 - 1);
  }

  protected send(machineId: string, request: ApiRequest, options: SendOptions): Promise<ApiResponse> {
    return this.machines.send(machineId, request, options);
  }

  override wireAccess(machineId: string): WireAccess {
    return this.machines.wireAccess(machineId);
  }

  override async configureNetwork(conditions: Partial<LinkConditions>, link?: { from: string; to: string }): Promise<void> {
    const seed = this.seed;
    if (link) return this.apply(link.from, { type: 'configure_network', seed, conditions, to: this.peer(link.to) });
    const request: ApiRequest = { type: 'configure_network', seed, conditions };
    this.everyLink.push(request);
    await Promise.all(this.upMachines().map((m) => this.request(m.id, request)));
  }

  /** Each side stops sending to the other: both directions are cut, in the machines' own packet path. */
  override async partition(groupA: readonly string[], groupB: readonly string[]): Promise<void> {
    const tell = (group: readonly string[], peers: readonly string[]) =>
      group.map((id) => this.apply(id, { type: 'partition', seed: this.seed, peers: peers.map((p) => this.peer(p)) }));
    await Promise.all([...tell(groupA, groupB), ...tell(groupB, groupA)]);
  }

  override async heal(): Promise<void> {
    for (const [id, requests] of this.applied) this.applied.set(id, requests.filter((r) => r.type !== 'partition'));
    await Promise.all(this.upMachines().map((m) => this.request(m.id, { type: 'heal' })));
  }

  /**
   * Give a machine a network request, and remember it for its restarts. A machine that is down gets
   * it when it comes back: the network changes whether or not its process is running.
   */
  private async apply(machineId: string, request: ApiRequest): Promise<void> {
    if (!this.isDown(machineId)) await this.request(machineId, request);
    this.applied.set(machineId, [...(this.applied.get(machineId) ?? []), request]);
  }

  private upMachines() {
    return this.machines.all().filter((m) => !this.isDown(m.id));
  }

  override async faultCounts(): Promise<FaultCounts> {
    await Promise.all(this.upMachines().map((m) => this.fetchCounts(m.id)));
    const all = addFaultCounts(emptyFaultCounts(), this.countsOfDead);
    for (const counts of this.lastCounts.values()) addFaultCounts(all, counts);
    return { ...all, crashes: this.crashes, skewed_clocks: this.skewedClocks };
  }

  override async nodeFailures(): Promise<NodeFailures> {
    await Promise.all(this.upMachines().map((m) => this.fetchFailures(m.id)));
    const all: NodeFailures = { count: this.failuresOfDead.count, first: [...this.failuresOfDead.first] };
    for (const reported of this.lastFailures.values()) addNodeFailures(all, reported);
    return all;
  }

  private async fetchFailures(machineId: string): Promise<void> {
    try {
      const { nodeFailures } = apiResultSchemas.ping.parse(await this.direct(machineId, { type: 'ping' }, 5_000));
      if (!nodeFailures) return;
      const machine = this.nameOf(machineId);
      this.lastFailures.set(machineId, { count: nodeFailures.count, first: nodeFailures.first.map((f) => ({ machine, ...f })) });
    } catch {
      // Down, or not answering: what it said last still counts.
    }
  }

  private async fetchCounts(machineId: string): Promise<void> {
    try {
      this.lastCounts.set(machineId, faultCountsSchema.parse(await this.direct(machineId, { type: 'fault_counts' }, 5_000)));
    } catch {
      // Down, or not answering: what it said last still counts.
    }
  }

  /**
   * A request straight to the machine's process, for the crash and restart paths themselves (the
   * test's own calls to a machine marked down are refused before they are sent).
   */
  private async direct(machineId: string, request: ApiRequest, timeoutMs = 15_000): Promise<unknown> {
    const response = await this.machines.send(machineId, request, { timeoutMs, what: request.type, machine: machineId });
    if (!response.ok) throw new Error(`machine ${machineId} refused ${request.type}: ${response.error.message}`);
    return response.result;
  }

  /** Call just before a machine's process is killed: what it counted outlives it. */
  protected async processDies(machineId: string): Promise<void> {
    await Promise.all([this.fetchCounts(machineId), this.fetchFailures(machineId)]);
    const failures = this.lastFailures.get(machineId);
    if (failures) addNodeFailures(this.failuresOfDead, failures);
    this.lastFailures.delete(machineId);
    const counts = this.lastCounts.get(machineId);
    if (counts) addFaultCounts(this.countsOfDead, counts);
    this.lastCounts.delete(machineId);
  }

  /** Call once a new machine answers: it gets the conditions already asked for every link. */
  protected async machineJoined(machineId: string): Promise<void> {
    for (const request of this.everyLink) await this.direct(machineId, request);
  }

  /** Call once a restarted machine answers: it is given the network it had, and its clock. */
  protected async processRestarted(machineId: string): Promise<void> {
    await this.machineJoined(machineId);
    for (const request of this.applied.get(machineId) ?? []) await this.direct(machineId, request);
    const skew = this.skews.get(machineId);
    if (skew) {
      // The skewed clock is the machine's, not the process's: it kept drifting while the process was down.
      const offsetMs = skew.offsetMs + (Date.now() - skew.at) * (skew.rate - 1);
      await this.direct(machineId, { type: 'set_clock', offsetMs, rate: skew.rate });
    }
  }

  /** Each machine's last skew and when it was set, to give a restarted process its machine's clock. */
  private readonly skews = new Map<string, ClockSkew & { at: number }>();

  override async skewClock(machineId: string, skew: ClockSkew): Promise<void> {
    await super.skewClock(machineId, skew);
    this.skews.set(machineId, { ...skew, at: Date.now() });
  }

  private peer(machineId: string): { host: string; port: number } {
    const { address } = this.machines.get(machineId).transport;
    if (address.kind !== 'udp') throw new Error(`machine ${machineId} has no UDP address`);
    return { host: address.host, port: address.port };
  }
}

/** Add `more` into `into` (as addFaultCounts adds counts). */
function addNodeFailures(into: NodeFailures, more: NodeFailures): void {
  into.count += more.count;
  into.first.push(...more.first);
}
