/**
 * The test-facing API: create machines, spawn nodes, grow trees, wire transports, poke nodes and
 * read their state, and wait for conditions. Written once against a Spawner, it is the same in every
 * mode.
 */
import type { Logger } from '../logging.ts';
import type { NodeConfig, NodeHandle, NodeMessage, NodeRef, OutputState, Transport } from '../messages/index.ts';
import type { RecordedUser } from '../nodes/recorded-user.ts';
import { FaultsNeverFiredError, expectedKinds, type ClockSkew, type FaultCounts, type FaultKind, type LinkConditions } from '../spawners/faults.ts';
import type { Check, SpawnedMachine, Spawner, WaitOptions } from '../spawners/spawner.ts';

export type MachineRef = Pick<SpawnedMachine, 'id' | 'name'>;

export class SystemController {
  private readonly machines = new Map<string, SpawnedMachine>();

  constructor(
    readonly spawner: Spawner,
    readonly logger: Logger,
  ) {}

  get systemId(): string {
    return this.spawner.systemId;
  }

  get mode() {
    return this.spawner.mode;
  }

  async createMachines(names: readonly string[]): Promise<MachineRef[]> {
    const spawned = await this.spawner.createMachines(names.map((name) => ({ name })));
    for (const machine of spawned) this.machines.set(machine.id, machine);
    this.logger.info({ machines: spawned.map((m) => `${m.name}=${m.id}`) }, 'machines created');
    return spawned.map(({ id, name }) => ({ id, name }));
  }

  async createMachine(name: string): Promise<MachineRef> {
    const [machine] = await this.createMachines([name]);
    return machine!;
  }

  /** Start a node from a full config on a machine. */
  async spawnNode(machine: MachineRef, config: NodeConfig): Promise<NodeHandle> {
    const handle = await this.spawner.request(machine.id, { type: 'start_node', config });
    this.logger.info({ node_id: handle.id, kind: config.kind, machine_name: machine.name }, 'node spawned');
    return handle;
  }

  /** A transport for `sender` to reach `receiver` (the seed's create_transport_for). */
  createTransport(_sender: NodeHandle, receiver: NodeHandle): Transport {
    return this.machine(receiver.machineId).transport;
  }

  /** A handle with the transport to reach it, for configs that name other nodes. */
  refTo(handle: NodeHandle): NodeRef {
    return { handle, transport: this.machine(handle.machineId).transport };
  }

  /** Ask a tree node for the config of a new kid on `machine`. */
  createKidConfig(parent: NodeHandle, machine: MachineRef, name: string): Promise<NodeConfig> {
    return this.spawner.request(parent.machineId, {
      type: 'create_kid_config',
      parentId: parent.id,
      kid: { id: this.spawner.newId(name), name, machineId: machine.id },
    });
  }

  async sendToNode(node: NodeHandle, message: NodeMessage): Promise<void> {
    await this.spawner.request(node.machineId, { type: 'send_to_node', nodeId: node.id, message });
  }

  getOutputState(node: NodeHandle): Promise<OutputState> {
    return this.spawner.request(node.machineId, { type: 'get_output_state', nodeId: node.id });
  }

  async totals(nodes: readonly NodeHandle[]): Promise<number[]> {
    const states = await Promise.all(nodes.map((node) => this.getOutputState(node)));
    return states.map((s) => s.total);
  }

  waitFor(check: Check, options: WaitOptions): Promise<void> {
    return this.spawner.waitFor(check, options);
  }

  /** Wait until every node in `nodes` reports exactly `total`. */
  async waitForTotals(nodes: readonly NodeHandle[], total: number, timeoutMs: number, pollMs?: number): Promise<void> {
    let last: number[] = [];
    try {
      await this.waitFor(async () => (last = await this.totals(nodes)).every((t) => t === total), {
        timeoutMs,
        what: `all ${nodes.length} outputs total ${total}`,
        ...(pollMs ? { pollMs } : {}),
      });
    } catch (error) {
      if (error instanceof Error) error.message += `\n  last totals seen: ${JSON.stringify(last)}`;
      throw error;
    }
  }

  // --- Faults (the same calls in every mode that can do them) -----------------------------------

  /** Change the conditions of every link, or of the links from one machine to another. */
  async configureNetwork(conditions: Partial<LinkConditions>, link?: { from: MachineRef; to: MachineRef }): Promise<void> {
    await this.spawner.configureNetwork(conditions, link && { from: link.from.id, to: link.to.id });
    for (const kind of expectedKinds(conditions)) this.requested.add(kind);
  }

  /** Run this machine's clock ahead or behind (offsetMs) and fast or slow (rate, 1 = true). */
  skewClock(machine: MachineRef, skew: ClockSkew): Promise<void> {
    this.requested.add('skewed_clocks');
    this.logger.info({ machine_name: machine.name, ...skew }, 'clock skew');
    return this.spawner.skewClock(machine.id, skew);
  }

  /** Fault kinds this test asked for. */
  readonly requested = new Set<FaultKind>();

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

  crash(machine: MachineRef): Promise<void> {
    this.requested.add('crashes');
    this.logger.info({ machine_name: machine.name }, 'crash');
    return this.spawner.crash(machine.id);
  }

  restart(machine: MachineRef): Promise<void> {
    this.logger.info({ machine_name: machine.name }, 'restart');
    return this.spawner.restart(machine.id);
  }

  faultCounts(): Promise<FaultCounts> {
    return this.spawner.faultCounts();
  }

  /** Let `ms` of system time pass (virtual in simulation): to hold a fault for a while, never to await a result. */
  pass(ms: number): Promise<void> {
    return this.spawner.pass(ms);
  }

  // --- The sum system's building blocks --------------------------------------------------------

  /** An input tree's root; `flushMs` > 0 batches what it passes up (see InputNode). */
  spawnInput(machine: MachineRef, name: string, options: { flushMs?: number } = {}): Promise<NodeHandle> {
    return this.spawnNode(machine, { kind: 'input', id: this.spawner.newId(name), name, parent: null, flushMs: options.flushMs ?? 0 });
  }

  /** An output tree's root; `flushMs` > 0 batches what it passes on (see OutputNode). */
  spawnOutput(machine: MachineRef, name: string, options: { flushMs?: number } = {}): Promise<NodeHandle> {
    return this.spawnNode(machine, { kind: 'output', id: this.spawner.newId(name), name, parent: null, flushMs: options.flushMs ?? 0 });
  }

  spawnSum(machine: MachineRef, name: string, wiring: { senders: NodeHandle[]; receivers: NodeHandle[] }): Promise<NodeHandle> {
    return this.spawnNode(machine, {
      kind: 'sum',
      id: this.spawner.newId(name),
      name,
      senders: wiring.senders.map((h) => this.refTo(h)),
      receivers: wiring.receivers.map((h) => this.refTo(h)),
    });
  }

  /** Grow a tree: the parent makes its kid's config, the kid starts on `machine`. An input kid plays `user`. */
  async spawnKid(parent: NodeHandle, machine: MachineRef, name: string, user?: RecordedUser): Promise<NodeHandle> {
    const config = await this.createKidConfig(parent, machine, name);
    if (user) {
      if (config.kind !== 'input_leaf') throw new Error(`a recorded user can only drive an input leaf, not a ${config.kind} node`);
      config.recording = [...user.actions];
    }
    return this.spawnNode(machine, config);
  }

  private machine(machineId: string): SpawnedMachine {
    const machine = this.machines.get(machineId);
    if (!machine) throw new Error(`machine ${machineId} was not created by this system`);
    return machine;
  }
}
