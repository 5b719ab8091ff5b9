/** The broadcast system's wire vocabulary: what nodes say to one another and what a client asks. */
import { nodeRefSchema, z, type NodeRef } from 'distzero';

/** Values the receiver may lack, batched: the sender hands each value to each neighbour's link once. */
const gossipSchema = z.object({ type: z.literal('gossip'), values: z.array(z.number().int()) });
/** From a new neighbour, with how to reach it: links are symmetric, so either end can introduce them. */
const helloSchema = z.object({ type: z.literal('hello'), from: nodeRefSchema });
/** From the test: these nodes are (also) this node's neighbours. */
const topologySchema = z.object({ type: z.literal('topology'), neighbours: z.array(nodeRefSchema) });

export const broadcastMessage = z.discriminatedUnion('type', [gossipSchema, helloSchema, topologySchema]);
/**
 * The raw variant's vocabulary: the same, plus the acknowledgement its own retries wait for (the
 * raw channel acknowledges nothing). A gossip is acknowledged with the values it carried; a hello
 * with an empty ack, so its sender stops repeating it.
 */
export const rawBroadcastMessage = z.discriminatedUnion('type', [
  gossipSchema,
  z.object({ type: z.literal('ack'), values: z.array(z.number().int()) }),
  helloSchema,
  topologySchema,
]);
export type RawBroadcastMessage = z.infer<typeof rawBroadcastMessage>;
export type BroadcastMessage = z.infer<typeof broadcastMessage>;

export const gossip = (values: number[]): BroadcastMessage => ({ type: 'gossip', values });
export const hello = (from: NodeRef): BroadcastMessage => ({ type: 'hello', from });
export const topologyMessage = (neighbours: NodeRef[]): BroadcastMessage => ({ type: 'topology', neighbours });

/** Maelstrom's `broadcast`: the node keeps the value and spreads it; the reply is a bare ack. */
export const broadcastRequest = { args: z.object({ value: z.number().int() }), reply: z.object({}) };
/** Maelstrom's `read`: every value the node has, sorted. */
export const readRequest = { args: z.object({}), reply: z.object({ values: z.array(z.number().int()) }) };
/** How many messages this node has sent other nodes (gossip, hello, and the raw kind's acks): the workload's cost, in any mode. */
export const statsRequest = { args: z.object({}), reply: z.object({ sent: z.number().int() }) };
/** What a client may ask either broadcast kind: the same requests, so one scenario drives both. */
export const broadcastRequests = { broadcast: broadcastRequest, read: readRequest, stats: statsRequest };

/** A client's request as either kind sees it. */
export type BroadcastRequest = { type: 'broadcast'; value: number } | { type: 'read' } | { type: 'stats' };
export type BroadcastReply = z.output<(typeof broadcastRequests)[keyof typeof broadcastRequests]['reply']>;

/**
 * How both kinds answer their clients: `add` keeps and spreads a new value (each kind its own way);
 * reads and stats come from the journaled state, which both keep alike.
 */
export function answerBroadcast(request: BroadcastRequest, state: { readonly values: readonly number[]; readonly sent: number }, add: (value: number) => void): BroadcastReply {
  switch (request.type) {
    case 'broadcast':
      add(request.value);
      return {};
    case 'read':
      return { values: [...state.values].sort((a, b) => a - b) };
    case 'stats':
      return { sent: state.sent };
  }
}
