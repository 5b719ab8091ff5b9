/**
 * Building the broadcast system from a test: one node per machine, wired to a topology, plus the
 * client's side of the workload (broadcast, read) and the wait for every node to have every value.
 */
import type { Handle, MachineRef, SystemController } from 'distzero/test';
import { topologyMessage } from './messages.ts';
import { broadcastNode } from './system.ts';
import { topology, type TopologyName } from './topology.ts';

export type BroadcastHandle = Handle<typeof broadcastNode.schemas>;

export interface BroadcastSystem {
  machines: MachineRef[];
  nodes: BroadcastHandle[];
  /** By node index: its neighbours' indexes. */
  neighbours: number[][];
  /** Machines made with the others and left empty, for nodes that join later. */
  spare: MachineRef[];
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
  options: { nodes: number; topology: TopologyName; gossipMs?: number; spare?: number },
): Promise<BroadcastSystem> {
  const neighbours = topology(options.topology, options.nodes);
  const names = Array.from({ length: options.nodes + (options.spare ?? 0) }, (_, i) => `n${i}`);
  const all = await system.createMachines(names);
  const machines = all.slice(0, options.nodes);
  const config = options.gossipMs === undefined ? {} : { gossipMs: options.gossipMs };
  const nodes = await Promise.all(machines.map((machine) => system.spawn(machine, broadcastNode, machine.name, config)));
  await Promise.all(nodes.map((node, i) => system.send(node, topologyMessage(neighbours[i]!.map((j) => system.refTo(nodes[j]!))))));
  return { machines, nodes, neighbours, spare: all.slice(options.nodes) };
}

/** A node that joins later, on a spare machine, with some existing nodes as its neighbours (its hellos tell them). */
export async function joinBroadcast(system: SystemController, net: BroadcastSystem, neighbourIndexes: readonly number[]): Promise<BroadcastHandle> {
  const machine = net.spare.shift();
  if (!machine) throw new Error('no spare machine left: build the system with { spare } for every node that joins later');
  const index = net.nodes.length;
  const node = await system.spawn(machine, broadcastNode, machine.name, { neighbours: neighbourIndexes.map((j) => system.refTo(net.nodes[j]!)) });
  net.machines.push(machine);
  net.nodes.push(node);
  net.neighbours.push([...neighbourIndexes]);
  for (const j of neighbourIndexes) net.neighbours[j]!.push(index);
  return node;
}

export async function broadcast(system: SystemController, node: BroadcastHandle, value: number): Promise<void> {
  await system.call(node, { type: 'broadcast', value });
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

/** Wait until every node in `nodes` has exactly `values` (no more, no less); returns what each read last. */
export function waitForValues(system: SystemController, nodes: readonly BroadcastHandle[], values: readonly number[], timeoutMs: number): Promise<number[][]> {
  const expected = JSON.stringify([...values].sort((a, b) => a - b));
  return system.waitFor(() => readAll(system, nodes), {
    until: (seen) => seen.every((v) => JSON.stringify(v) === expected),
    timeoutMs,
    what: `all ${nodes.length} nodes hold exactly ${expected}`,
    // Fine-grained, so the measured convergence time is close to the real one.
    pollMs: 10,
  });
}
