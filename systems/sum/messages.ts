/** The sum system's wire vocabulary: its messages, configs, states and the one request every node answers. */
import { nodeHandleSchema, nodeRefSchema, z, type NodeRef } from 'distzero';

/**
 * Messages sum nodes send one another. The link layer below nodes makes each link reliable and
 * ordered, so nodes may rely on FIFO delivery of these.
 */
export const sumMessage = z.discriminatedUnion('type', [
  /** A new kid (or sender/receiver) introduces itself with how to reach it. */
  z.object({ type: z.literal('hello'), from: nodeRefSchema, role: z.enum(['kid', 'sender', 'receiver']) }),
  /** Add `amount` to the running total. */
  z.object({ type: z.literal('increment'), amount: z.number().int() }),
  /** The sender's whole current total: brings a late joiner up to date before any later increment. */
  z.object({ type: z.literal('set_total'), total: z.number().int() }),
]);
export type SumMessage = z.infer<typeof sumMessage>;
export type Role = 'kid' | 'sender' | 'receiver';

export const increment = (amount: number): SumMessage => ({ type: 'increment', amount });
export const setTotal = (total: number): SumMessage => ({ type: 'set_total', total });
export const hello = (from: NodeRef, role: Role): SumMessage => ({ type: 'hello', from, role });

/** Every sum node tells the test its total. */
export const totalRequest = { args: z.object({}), reply: z.object({ total: z.number().int() }) };

/** A tree node makes the config of a new kid of its own (the test then spawns it). */
export const kidConfigRequest = {
  args: z.object({}),
  reply: z.object({ kind: z.enum(['input_leaf', 'output_leaf']), config: z.record(z.string(), z.unknown()) }),
};

/** One step of a recorded user: at `atMs` after the leaf starts, add `amount`. */
export const recordedActionSchema = z.object({
  atMs: z.number().nonnegative(),
  action: z.object({ type: z.literal('increment'), amount: z.number().int() }),
});
export type RecordedAction = z.infer<typeof recordedActionSchema>;

export const handles = z.array(nodeHandleSchema);
