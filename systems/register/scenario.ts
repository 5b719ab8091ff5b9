/**
 * Building the register system from a test (one node per machine), its clients' operations as the
 * history records them, and the workload generator `runWorkload` draws them from.
 */
import { DefiniteFailure, type Value } from 'distzero/checkers';
import type { ClientOperation, Handle, MachineRef, SystemController, WorkloadClient } from 'distzero/test';
import type { RegisterValue, Refusal } from './messages.ts';
import { registerNode } from './system.ts';

export type RegisterHandle = Handle<typeof registerNode.schemas>;

export interface RegisterSystem {
  machines: MachineRef[];
  /** In cluster order: `nodes[v mod n]` leads view v, so `nodes[0]` leads at the start. */
  nodes: RegisterHandle[];
}

export interface RegisterOptions {
  nodes: number;
  /** The planted bug: leaders serve reads from their own register, without a round. */
  staleReads?: boolean;
  /** The node's timing (defaults: a beat every 50 ms, a view change after 300 ms of silence). */
  heartbeatMs?: number;
  electionMs?: number;
}

/** N machines, a register node on each, then every node told the cluster (Maelstrom's init). */
export async function buildRegister(system: SystemController, options: RegisterOptions): Promise<RegisterSystem> {
  if (options.nodes < 1) throw new Error(`a register needs at least one node (got ${options.nodes})`);
  const { nodes: count, ...config } = options;
  const machines = await system.createMachines(Array.from({ length: count }, (_, i) => `n${i}`));
  const nodes = await Promise.all(machines.map((machine) => system.spawn(machine, registerNode, machine.name, config)));
  const members = nodes.map((node) => system.refTo(node));
  await Promise.all(nodes.map((node) => system.send(node, { type: 'cluster', members })));
  return { machines, nodes };
}

export const keyName = (i: number): string => `k${i}`;

/** How long a client waits for an answer; undefined = the framework's default (10 s). */
export interface CallOptions {
  timeoutMs?: number;
}

/**
 * A refusal as the history must see it: `not_leader` was never applied (a definite failure,
 * recorded `fail`); `unknown` may have been (thrown as a plain error: recorded `info`).
 */
function refused<T extends object>(reply: T | Refusal): T {
  if ('error' in reply) {
    if (reply.error === 'not_leader') throw new DefiniteFailure('refused: no leader took it');
    throw new Error('the leader was deposed while replicating it: it may or may not have taken effect');
  }
  return reply;
}

/** The three client operations, as `runWorkload` and `system.history.record` take them. */
export function readOp(system: SystemController, node: RegisterHandle, key: string, options: CallOptions = {}): ClientOperation {
  return {
    invocation: { op: 'read', key, args: null, note: `via ${node.id}` },
    call: async (): Promise<Value> => refused(await system.call(node, { type: 'read', key }, options)).value,
  };
}

export function writeOp(system: SystemController, node: RegisterHandle, key: string, value: number, options: CallOptions = {}): ClientOperation {
  return {
    invocation: { op: 'write', key, args: value, note: `via ${node.id}` },
    call: async (): Promise<void> => {
      refused(await system.call(node, { type: 'write', key, value }, options));
    },
  };
}

/** A cas that found another value resolves `false` (recorded `ok` with `false`): it happened, and changed nothing. */
export function casOp(system: SystemController, node: RegisterHandle, key: string, from: RegisterValue, to: number, options: CallOptions = {}): ClientOperation {
  return {
    invocation: { op: 'cas', key, args: { from, to }, note: `via ${node.id}` },
    call: async (): Promise<boolean> => refused(await system.call(node, { type: 'cas', key, from, to }, options)).ok,
  };
}

export interface RegisterWorkload {
  /** Keys `k0` .. `k{keys-1}`. */
  keys: number;
  /** Each call's timeout: shorter than the default keeps real modes quick when a call waits on a fault (it becomes `info`). */
  callTimeoutMs?: number;
}

/**
 * The register's operation mix for `runWorkload`: on a random node and key, 40% reads, 35% writes
 * and 25% cas. Written values are unique over the run (client c's i-th write is c·100,000 + i), so
 * a read names the write it saw. A cas expects a value the client has read or written (so some swap
 * and some do not); the final phase reads every key from a random node.
 */
export function registerWorkload(system: SystemController, net: RegisterSystem, options: RegisterWorkload) {
  const call: CallOptions = options.callTimeoutMs === undefined ? {} : { timeoutMs: options.callTimeoutMs };
  const written = new Map<number, number>();
  const lastSeen = new Map<string, RegisterValue>();
  const pick = (c: WorkloadClient) => ({ node: net.nodes[c.random.int(net.nodes.length)]!, key: keyName(c.random.int(options.keys)) });
  const fresh = (c: WorkloadClient) => {
    const i = written.get(c.process) ?? 0;
    written.set(c.process, i + 1);
    return c.process * 100_000 + i;
  };
  /** What this client last read or wrote on this key, learnt as its calls succeed: its next cas expects it. */
  const learn = (c: WorkloadClient, key: string, operation: ClientOperation, value: (result: unknown) => RegisterValue | undefined): ClientOperation => {
    const invoke = operation.call as () => Promise<unknown>;
    return {
      ...operation,
      call: async () => {
        const result = await invoke();
        const seen = value(result);
        if (seen !== undefined) lastSeen.set(`${c.process}/${key}`, seen);
        return result;
      },
    } as ClientOperation;
  };
  return {
    next(c: WorkloadClient): ClientOperation {
      const { node, key } = pick(c);
      const dice = c.random.float();
      if (dice < 0.4) return learn(c, key, readOp(system, node, key, call), (read) => read as RegisterValue);
      const value = fresh(c);
      if (dice < 0.75) return learn(c, key, writeOp(system, node, key, value, call), () => value);
      const expected = lastSeen.get(`${c.process}/${key}`) ?? null;
      return learn(c, key, casOp(system, node, key, expected, value, call), (swapped) => (swapped ? value : undefined));
    },
    final(c: WorkloadClient): ClientOperation[] {
      return Array.from({ length: options.keys }, (_, k) => readOp(system, pick(c).node, keyName(k), call));
    },
  };
}
