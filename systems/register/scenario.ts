/**
 * Building the register system from a test (one node per machine, node 0 the primary) and the
 * clients' seeded workload, recorded into a history for `checkLinearizable`.
 */
import type { HistoryRecorder, Value } from 'distzero/checkers';
import type { Handle, MachineRef, SystemController } from 'distzero/test';
import type { RegisterValue } from './messages.ts';
import { registerNode } from './system.ts';

export type RegisterHandle = Handle<typeof registerNode.schemas>;

export interface RegisterSystem {
  machines: MachineRef[];
  /** `nodes[0]` is the primary, the rest its backups. */
  nodes: RegisterHandle[];
  staleReads: boolean;
}

/**
 * N machines, a register node on each. The primary is spawned first (the backups' configs name
 * it); each backup then says hello to it, and gets the whole register back before any update.
 */
export async function buildRegister(system: SystemController, options: { nodes: number; staleReads?: boolean }): Promise<RegisterSystem> {
  if (options.nodes < 1) throw new Error(`a register needs at least its primary (got ${options.nodes} nodes)`);
  const staleReads = options.staleReads ?? false;
  const machines = await system.createMachines(Array.from({ length: options.nodes }, (_, i) => `n${i}`));
  const primary = await system.spawn(machines[0]!, registerNode, 'n0', { staleReads });
  const backups = await Promise.all(machines.slice(1).map((machine) => system.spawn(machine, registerNode, machine.name, { primary: system.refTo(primary), staleReads })));
  return { machines, nodes: [primary, ...backups], staleReads };
}

export const keyName = (i: number): string => `k${i}`;

/** The three client operations, each recorded as the checker expects: a read's value, a cas's boolean. */
/** How long a client waits for an answer; undefined = the framework's default (10 s). */
export interface CallOptions {
  timeoutMs?: number;
}

export function read(system: SystemController, recorder: HistoryRecorder, process: number, node: RegisterHandle, key: string, options: CallOptions = {}) {
  return recorder.record(process, { op: 'read', key, args: null }, async (): Promise<Value> => (await system.call(node, { type: 'read', key }, options)).value);
}

export function write(system: SystemController, recorder: HistoryRecorder, process: number, node: RegisterHandle, key: string, value: number, options: CallOptions = {}) {
  return recorder.record(process, { op: 'write', key, args: value }, async (): Promise<void> => {
    await system.call(node, { type: 'write', key, value }, options);
  });
}

/** A cas that found another value resolves `false` (recorded `ok` with `false`): it happened, and changed nothing. */
export function cas(system: SystemController, recorder: HistoryRecorder, process: number, node: RegisterHandle, key: string, from: RegisterValue, to: number, options: CallOptions = {}) {
  return recorder.record(process, { op: 'cas', key, args: { from, to } }, async (): Promise<boolean> => (await system.call(node, { type: 'cas', key, from, to }, options)).ok);
}

export interface WorkloadOptions {
  clients: number;
  opsPerClient: number;
  keys: number;
  recorder: HistoryRecorder;
  /**
   * Where this round's written values start, per client: client `c` writes `c * 1000 + firstValue + i`.
   * Give each round of one test its own range, so every value is written once and a read names the
   * write it saw.
   */
  firstValue?: number;
  /**
   * Each call's timeout. Shorter than the default keeps real modes quick when a call waits on a
   * partition or a crashed primary: the call becomes `info`, which the checker allows for.
   */
  callTimeoutMs?: number;
}

/**
 * `clients` concurrent clients (processes 0..clients-1), each doing `opsPerClient` operations one
 * after another: on a node, a key and an operation drawn from the test's seeded generator — 40%
 * reads, 35% writes, 25% cas. A cas expects the value this client last saw on the key (so some
 * swap and some find another value) and writes a fresh value. Errors are outcomes, never thrown.
 */
export async function runRegisterWorkload(system: SystemController, net: RegisterSystem, options: WorkloadOptions): Promise<void> {
  const { recorder } = options;
  const firstValue = options.firstValue ?? 0;
  const call: CallOptions = options.callTimeoutMs === undefined ? {} : { timeoutMs: options.callTimeoutMs };
  if (firstValue + options.opsPerClient > 1000) throw new Error('values would collide across clients: keep firstValue + opsPerClient within 1000');
  const client = async (process: number) => {
    const lastSeen = new Map<string, RegisterValue>();
    for (let i = 0; i < options.opsPerClient; i++) {
      const node = net.nodes[system.random.int(net.nodes.length)]!;
      const key = keyName(system.random.int(options.keys));
      const value = process * 1000 + firstValue + i;
      const dice = system.random.float();
      if (dice < 0.4) {
        const op = await read(system, recorder, process, node, key, call);
        if (op.outcome.type === 'ok') lastSeen.set(key, op.outcome.value as RegisterValue);
      } else if (dice < 0.75) {
        const op = await write(system, recorder, process, node, key, value, call);
        if (op.outcome.type === 'ok') lastSeen.set(key, value);
      } else {
        const op = await cas(system, recorder, process, node, key, lastSeen.get(key) ?? null, value, call);
        if (op.outcome.type === 'ok' && op.outcome.value) lastSeen.set(key, value);
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, process) => client(process)));
}
