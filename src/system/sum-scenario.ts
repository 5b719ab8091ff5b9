/**
 * The sum system as scenarios: input trees fed by recorded users, one sum node, output trees whose
 * leaves must all reach the exact total. Specs and the benchmark build it from here.
 */
import type { NodeHandle } from '../messages/index.ts';
import { RecordedUser } from '../nodes/recorded-user.ts';
import type { MachineRef, SystemController } from './system-controller.ts';

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
  const input = await system.spawnInput(hub, 'input', { flushMs: options.flushMs ?? 0 });
  const output = await system.spawnOutput(hub, 'output', { flushMs: options.flushMs ?? 0 });
  const sum = await system.spawnSum(hub, 'sum', { senders: [input], receivers: [output] });
  const outputCount = options.outputLeaves === undefined || options.outputLeaves === 'every-user' ? users.length : options.outputLeaves;
  // Users join together, as they would: every leaf is spawned at once.
  const inputLeaves = await Promise.all(users.map((user, i) => system.spawnKid(input, machines[i + 1]!, `${user.name}-input`, user)));
  const outputLeaves = await Promise.all(users.slice(0, outputCount).map((user, i) => system.spawnKid(output, machines[i + 1]!, `${user.name}-output`)));
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
