import { z } from 'zod';
import { nodeRefSchema } from './handles.ts';

/**
 * Messages nodes send one another. The link layer below nodes makes each link (sender node ->
 * receiver node) reliable and ordered, so nodes may rely on FIFO delivery of these.
 */
export const nodeMessageSchema = z.discriminatedUnion('type', [
  /** A new kid (or sender/receiver) introduces itself with how to reach it. */
  z.object({ type: z.literal('hello'), from: nodeRefSchema, role: z.enum(['kid', 'sender', 'receiver']) }),
  /** Add `amount` to the running total. */
  z.object({ type: z.literal('increment'), amount: z.number().int() }),
  /** The sender's whole current total: brings a late joiner up to date before any later increment. */
  z.object({ type: z.literal('set_total'), total: z.number().int() }),
]);
export type NodeMessage = z.infer<typeof nodeMessageSchema>;
export type NodeMessageOf<T extends NodeMessage['type']> = Extract<NodeMessage, { type: T }>;

export const increment = (amount: number): NodeMessage => ({ type: 'increment', amount });
export const setTotal = (total: number): NodeMessage => ({ type: 'set_total', total });
export const hello = (from: z.infer<typeof nodeRefSchema>, role: 'kid' | 'sender' | 'receiver'): NodeMessage => ({
  type: 'hello',
  from,
  role,
});
