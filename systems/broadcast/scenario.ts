/**
 * Building the broadcast system from a test: one node per machine, wired to a topology, plus the
 * client's side of the workload (broadcast, read) and the wait for every node to have every value.
 * Either kind — the reliable `broadcast` or `broadcast.raw` — answers the same requests, so every
 * helper drives both.
 */
import type { KindSchemas, NodeRef } from 'distzero';
import type { Handle, MachineRef, SystemController } from 'distzero/test';
import { topologyMessage, type broadcastRequests } from './messages.ts';
import { broadcastNode, rawBroadcastNode } from './system.ts';
import { topology, type TopologyName } from './topology.ts';

/** What the helpers know of a broadcast kind: its requests (config, messages and state are each kind's own). */
export type BroadcastSchemas = Omit<KindSchemas, 'requests'> & { requests: typeof broadcastRequests };
export type BroadcastHandle = Handle<BroadcastSchemas>;

/**
 * Which kind to run: `broadcast` over the framework's reliable links, or `broadcast.raw` over the
 * raw channel with retries of its own (which a test may switch off).
 */
export type BroadcastVariant = { channel: 'links' } | { channel: 'raw'; retries?: boolean };

export interface BroadcastSystem {
  machines: MachineRef[];
  nodes: BroadcastHandle[];
  /** By node index: its neighbours' indexes. */
  neighbours: number[][];
  /** Machines made with the others and left empty, for nodes that join later. */
  spare: MachineRef[];
  /** The kind every node runs, and the settings each was spawned with (late joiners get the same). */
  variant: BroadcastVariant;
  gossipMs: number | undefined;
}

/** One broadcast node of the system's variant on `machine`, named for it. */
function spawnBroadcast(system: SystemController, machine: MachineRef, net: Pick<BroadcastSystem, 'variant' | 'gossipMs'>, neighbours: NodeRef[] = []): Promise<BroadcastHandle> {
  const gossip = net.gossipMs === undefined ? {} : { gossipMs: net.gossipMs };
  const { variant } = net;
  if (variant.channel === 'links') return system.spawn(machine, broadcastNode, machine.name, { neighbours, ...gossip });
  const retries = variant.retries === undefined ? {} : { retries: variant.retries };
  return system.spawn(machine, rawBroadcastNode, machine.name, { neighbours, ...gossip, ...retries });
}

/**
 * N machines, a broadcast node on each. Handles exist only once nodes are spawned, so the wiring is
 * two-phase: spawn them all together, then tell each its neighbours with a `topology` message.
 * `spare` machines are made in the same call and left empty, for nodes that join later: in cloud
 * mode a second createMachines on one system reuses the first launch's EC2 ClientToken and gets the
 * first call's instances back (a framework issue, src/spawners/cloud/ec2-spawner.ts).
 */
export async function buildBroadcast(
  system: SystemController,
  options: { nodes: number; topology: TopologyName; gossipMs?: number; spare?: number; variant?: BroadcastVariant },
): Promise<BroadcastSystem> {
  const neighbours = topology(options.topology, options.nodes);
  const names = Array.from({ length: options.nodes + (options.spare ?? 0) }, (_, i) => `n${i}`);
  const all = await system.createMachines(names);
  const machines = all.slice(0, options.nodes);
  const settings = { variant: options.variant ?? { channel: 'links' }, gossipMs: options.gossipMs };
  const nodes = await Promise.all(machines.map((machine) => spawnBroadcast(system, machine, settings)));
  await Promise.all(nodes.map((node, i) => system.send(node, topologyMessage(neighbours[i]!.map((j) => system.refTo(nodes[j]!))))));
  return { machines, nodes, neighbours, spare: all.slice(options.nodes), ...settings };
}

/** A node that joins later, on a spare machine, with some existing nodes as its neighbours (its hellos tell them). */
export async function joinBroadcast(system: SystemController, net: BroadcastSystem, neighbourIndexes: readonly number[]): Promise<BroadcastHandle> {
  const machine = net.spare.shift();
  if (!machine) throw new Error('no spare machine left: build the system with { spare } for every node that joins later');
  const index = net.nodes.length;
  const node = await spawnBroadcast(system, machine, net, neighbourIndexes.map((j) => system.refTo(net.nodes[j]!)));
  net.machines.push(machine);
  net.nodes.push(node);
  net.neighbours.push([...neighbourIndexes]);
  for (const j of neighbourIndexes) net.neighbours[j]!.push(index);
  return node;
}

export async function broadcast(system: SystemController, node: BroadcastHandle, value: number): Promise<void> {
  await system.call(node, { type: 'broadcast', value });
}

/**
 * Broadcast `count` distinct values, each on a node the test's seeded generator picks from `on`, and
 * wait for each ack. Values start at `from` (so two batches never collide).
 */
export async function broadcastRandomly(system: SystemController, on: readonly BroadcastHandle[], count: number, from = 0): Promise<number[]> {
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const value = (from + i) * 1000 + system.random.int(1000);
    await broadcast(system, on[system.random.int(on.length)]!, value);
    values.push(value);
  }
  return values;
}

export async function read(system: SystemController, node: BroadcastHandle): Promise<number[]> {
  return (await system.call(node, { type: 'read' })).values;
}

/** Every node's values, read together (in flight together: one round trip). */
export function readAll(system: SystemController, nodes: readonly BroadcastHandle[]): Promise<number[][]> {
  return Promise.all(nodes.map((node) => read(system, node)));
}

/** Messages every node in `nodes` has sent so far, added up (node-side counters: every mode has them). */
export async function messagesSent(system: SystemController, nodes: readonly BroadcastHandle[]): Promise<number> {
  const stats = await Promise.all(nodes.map((node) => system.call(node, { type: 'stats' })));
  return stats.reduce((total, { sent }) => total + sent, 0);
}

/** Values as a node reads them out: in ascending order. */
export const sorted = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);

export interface CutRing {
  /** The values broadcast on each side of the cut. */
  left: number[];
  right: number[];
  /** What every node holds while the cut lasts: its own side's values, and nothing from across. */
  whileCut: number[][];
}

/**
 * The ring 0-1-2-3-4-0 cut in two connected arcs, {0, 1} and {2, 3, 4}; three values broadcast on
 * each side, each spread over its own side. The cut stays until the caller heals it.
 */
export async function cutRingInTwo(system: SystemController, net: BroadcastSystem): Promise<CutRing> {
  const sides = [net.nodes.slice(0, 2), net.nodes.slice(2)] as const;
  await system.partition(net.machines.slice(0, 2), net.machines.slice(2));
  const left = await broadcastRandomly(system, sides[0], 3, 0);
  const right = await broadcastRandomly(system, sides[1], 3, 10);
  await waitForValues(system, sides[0], left, 30_000);
  await waitForValues(system, sides[1], right, 30_000);
  return { left, right, whileCut: [...sides[0].map(() => sorted(left)), ...sides[1].map(() => sorted(right))] };
}

/** Wait until every node in `nodes` has exactly `values` (no more, no less); returns what each read last. */
export function waitForValues(system: SystemController, nodes: readonly BroadcastHandle[], values: readonly number[], timeoutMs: number): Promise<number[][]> {
  const expected = JSON.stringify(sorted(values));
  return system.waitFor(() => readAll(system, nodes), {
    until: (seen) => seen.every((v) => JSON.stringify(v) === expected),
    timeoutMs,
    what: `all ${nodes.length} nodes hold exactly ${expected}`,
    // Fine-grained, so the measured convergence time is close to the real one.
    pollMs: 10,
  });
}
