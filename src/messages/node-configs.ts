import { z } from 'zod';
import { nodeRefSchema } from './handles.ts';

/** One step of a recorded user: at `atMs` after the leaf starts, add `amount`. */
export const recordedActionSchema = z.object({
  atMs: z.number().nonnegative(),
  action: z.object({ type: z.literal('increment'), amount: z.number().int() }),
});
export type RecordedAction = z.infer<typeof recordedActionSchema>;

const identity = { id: z.string().min(1), name: z.string().min(1) };

export const nodeConfigSchema = z.discriminatedUnion('kind', [
  /** Root or internal node of an input tree: totals what its kids send and forwards it up (batched by `flushMs` > 0). */
  z.object({ kind: z.literal('input'), ...identity, parent: nodeRefSchema.nullable(), flushMs: z.number().nonnegative().default(0) }),
  /**
   * Root or internal node of an output tree: holds the total and fans it out to its kids. With
   * `flushMs` > 0 it batches: increments that arrive within `flushMs` reach each kid as one.
   */
  z.object({ kind: z.literal('output'), ...identity, parent: nodeRefSchema.nullable(), flushMs: z.number().nonnegative().default(0) }),
  /** A leaf that plays back a recorded user's actions. */
  z.object({ kind: z.literal('input_leaf'), ...identity, parent: nodeRefSchema, recording: z.array(recordedActionSchema) }),
  /** A leaf whose state is the total as this user sees it. */
  z.object({ kind: z.literal('output_leaf'), ...identity, parent: nodeRefSchema }),
  /** Sums the increments of its senders (input trees) and tells its receivers (output trees). */
  z.object({ kind: z.literal('sum'), ...identity, senders: z.array(nodeRefSchema), receivers: z.array(nodeRefSchema) }),
]);
export type NodeConfig = z.infer<typeof nodeConfigSchema>;
export type NodeKind = NodeConfig['kind'];
export type NodeConfigOf<K extends NodeKind> = Extract<NodeConfig, { kind: K }>;

/** What a node reports to the test when asked for its output state. */
export const outputStateSchema = z.object({ total: z.number().int() });
export type OutputState = z.infer<typeof outputStateSchema>;
