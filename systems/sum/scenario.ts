/**
 * Building the sum system from a test: machines, trees, the sum node and users, plus the sum's own
 * reads (totals) and waits. Every call goes through the public SystemController.
 */
import type { Handle, MachineRef, SystemController } from 'distzero/test';
import type { NodeHandle } from 'distzero';
import { RecordedUser } from './recorded-user.ts';
import { inputNode, outputLeafNode, outputNode, sumNode } from './system.ts';

export interface SumSystem {
  machines: MachineRef[];
  input: NodeHandle;
  output: NodeHandle;
  sum: NodeHandle;
  inputLeaves: NodeHandle[];
  outputLeaves: NodeHandle[];
  /** What every output leaf must end at. */
  expectedTotal: number;
}

export const inc = (amount: number) => ({ type: 'increment' as const, amount });

/** What a node totals so far (every sum node answers `total`). */
export async function totalOf(system: SystemController, node: NodeHandle): Promise<number> {
  return (await system.call(node as Handle<typeof outputLeafNode.schemas>, { type: 'total' })).total;
}

/** Every node's total, read together (in flight together: one round trip). */
export function totals(system: SystemController, nodes: readonly NodeHandle[]): Promise<number[]> {
  return Promise.all(nodes.map((node) => totalOf(system, node)));
}

/**
 * Wait until every node in `nodes` reports exactly `total`; returns the totals seen last. With
 * `root`, the output tree's root the nodes hang from, first wait until the root has the total (one
 * read a check, not one per leaf: the leaves cannot have it before their root), then on the leaves.
 */
export async function waitForTotals(
  system: SystemController,
  nodes: readonly NodeHandle[],
  total: number,
  timeoutMs: number,
  options: { pollMs?: number; root?: NodeHandle } = {},
): Promise<number[]> {
  const pollMs = options.pollMs ? { pollMs: options.pollMs } : {};
  const started = system.now();
  if (options.root) {
    const root = options.root;
    await system.waitFor(() => totalOf(system, root), { until: (t) => t === total, timeoutMs, what: `the output root totals ${total}`, ...pollMs });
  }
  return system.waitFor(() => totals(system, nodes), {
    until: (seen) => seen.every((t) => t === total),
    timeoutMs: Math.max(0, timeoutMs - (system.now() - started)),
    what: `all ${nodes.length} outputs total ${total}`,
    ...pollMs,
  });
}

/** An input tree's root; `flushMs` > 0 batches what it passes up. */
export function spawnInput(system: SystemController, machine: MachineRef, name: string, options: { flushMs?: number } = {}): Promise<NodeHandle> {
  return system.spawn(machine, inputNode, name, { parent: null, flushMs: options.flushMs ?? 0 });
}

/** An output tree's root; `flushMs` > 0 batches what it passes on. */
export function spawnOutput(system: SystemController, machine: MachineRef, name: string, options: { flushMs?: number } = {}): Promise<NodeHandle> {
  return system.spawn(machine, outputNode, name, { parent: null, flushMs: options.flushMs ?? 0 });
}

export function spawnSum(system: SystemController, machine: MachineRef, name: string, wiring: { senders: NodeHandle[]; receivers: NodeHandle[] }): Promise<NodeHandle> {
  return system.spawn(machine, sumNode, name, { senders: wiring.senders.map((h) => system.refTo(h)), receivers: wiring.receivers.map((h) => system.refTo(h)) });
}

/** Grow a tree: the parent makes its kid's config, the kid starts on `machine`. An input kid plays `user`. */
export async function spawnKid(system: SystemController, parent: NodeHandle, machine: MachineRef, name: string, user?: RecordedUser): Promise<NodeHandle> {
  const { kind, config } = await system.call(parent as Handle<typeof inputNode.schemas>, { type: 'kid_config' });
  if (user) {
    if (kind !== 'input_leaf') throw new Error(`a recorded user can only drive an input leaf, not a ${kind} node`);
    config.recording = [...user.actions];
  }
  return system.spawn(machine, kind, name, config);
}

/** Root input, root output and sum node on the first machine; each user on a machine of its own. */
export async function buildSumSystem(
  system: SystemController,
  users: readonly RecordedUser[],
  options: {
    outputLeaves?: 'every-user' | number;
    flushMs?: number;
    /** Runs once the machines exist, before any node starts (to skew their clocks, say). */
    beforeNodes?: (machines: MachineRef[]) => Promise<void>;
  } = {},
): Promise<SumSystem> {
  const machines = await system.createMachines(['hub', ...users.map((u) => u.name)]);
  const hub = machines[0]!;
  await options.beforeNodes?.(machines);
  const input = await spawnInput(system, hub, 'input', { flushMs: options.flushMs ?? 0 });
  const output = await spawnOutput(system, hub, 'output', { flushMs: options.flushMs ?? 0 });
  const sum = await spawnSum(system, hub, 'sum', { senders: [input], receivers: [output] });
  const outputCount = options.outputLeaves === undefined || options.outputLeaves === 'every-user' ? users.length : options.outputLeaves;
  // Users join together, as they would: every leaf is spawned at once.
  const inputLeaves = await Promise.all(users.map((user, i) => spawnKid(system, input, machines[i + 1]!, `${user.name}-input`, user)));
  const outputLeaves = await Promise.all(users.slice(0, outputCount).map((user, i) => spawnKid(system, output, machines[i + 1]!, `${user.name}-output`)));
  const expectedTotal = users.reduce((total, user) => total + user.total, 0);
  return { machines, input, output, sum, inputLeaves, outputLeaves, expectedTotal };
}

/** The seed project's scenario: user B adds 2 then 1, user C adds 1 three times; everyone sees 6. */
export function seedScenarioUsers(): RecordedUser[] {
  return [
    new RecordedUser('user-b', [
      [30, inc(2)],
      [60, inc(1)],
    ]),
    new RecordedUser('user-c', [
      [20, inc(1)],
      [40, inc(1)],
      [80, inc(1)],
    ]),
  ];
}

/** `count` users, each adding `increments` small amounts at spaced times (deterministic, no randomness). */
export function manyUsers(count: number, increments = 3, spacingMs = 25): RecordedUser[] {
  return Array.from(
    { length: count },
    (_, u) =>
      new RecordedUser(
        `user-${u}`,
        Array.from({ length: increments }, (_, k) => [10 + k * spacingMs + (u % 7), inc(1 + ((u + k) % 3))] as const),
      ),
  );
}

export { RecordedUser, RecordedUserOrderError } from './recorded-user.ts';
