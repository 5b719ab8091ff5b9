import { z } from 'zod';
import { bodySchema, nodeHandleSchema, transportSchema } from './handles.ts';
import { faultCountsSchema, linkConditionsRequestSchema } from './network.ts';

/** A peer machine as the runner sends to it: its UDP address. */
const peerSchema = z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65_535) });

/**
 * Requests the test process (via a spawner) makes of one machine. Node configs, messages, requests
 * and replies are the systems' own bodies: the envelope carries them, the node kind validates them.
 */
export const apiRequestSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ping') }),
  z.object({ type: z.literal('start_node'), kind: z.string().min(1), id: z.string().min(1), name: z.string().min(1), config: z.unknown() }),
  /** A client request to a node; the node answers it, now or later. */
  z.object({ type: z.literal('call_node'), nodeId: z.string().min(1), request: bodySchema }),
  /** Deliver a message to a node as if sent by the test itself. */
  z.object({ type: z.literal('send_to_node'), nodeId: z.string().min(1), message: bodySchema }),
  /** Skew the machine's clock: an offset from true time and a rate (1 = true). */
  z.object({ type: z.literal('set_clock'), offsetMs: z.number().min(-86_400_000).max(86_400_000), rate: z.number().positive().max(10) }),
  /**
   * Network faults in the machine's own packet path (real modes): conditions for every datagram it
   * sends, or for those to one peer. `seed` (the system's) seeds the machine's fault generator.
   */
  z.object({ type: z.literal('configure_network'), seed: z.number().int(), conditions: linkConditionsRequestSchema, to: peerSchema.optional() }),
  /** Send nothing to these peers until heal (each side of a partition is told of the other). */
  z.object({ type: z.literal('partition'), seed: z.number().int(), peers: z.array(peerSchema) }),
  z.object({ type: z.literal('heal') }),
  /** What the machine's packet path did to its datagrams so far. */
  z.object({ type: z.literal('fault_counts') }),
]);
export type ApiRequest = z.infer<typeof apiRequestSchema>;

/** The result each request type answers with, keyed by request type. */
export const apiResultSchemas = {
  /** `rejected`: inputs a real machine refused so far, by reason (absent in simulation). */
  /** `resources`: a real machine's memory (its process's rss, heap...) and API connections and buffers. */
  ping: z.object({
    machineId: z.string(),
    transport: transportSchema,
    rejected: z.record(z.string(), z.number()).optional(),
    resources: z.record(z.string(), z.number()).optional(),
    /** A real machine's nodes that threw so far (it logs each and goes on): how many, and the first few. */
    nodeFailures: z
      .object({ count: z.number().int(), first: z.array(z.object({ nodeId: z.string(), during: z.string(), error: z.object({ name: z.string(), message: z.string() }) })) })
      .optional(),
  }),
  start_node: nodeHandleSchema,
  /** The node's reply: its kind's reply schema checked it on the machine. */
  call_node: z.record(z.string(), z.unknown()),
  send_to_node: z.object({}),
  set_clock: z.object({ now: z.number() }),
  configure_network: z.object({}),
  partition: z.object({}),
  heal: z.object({}),
  fault_counts: faultCountsSchema,
} satisfies Record<ApiRequest['type'], z.ZodType>;
export type ApiResult<T extends ApiRequest['type']> = z.infer<(typeof apiResultSchemas)[T]>;

export const apiErrorSchema = z.object({ name: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() });
export const apiResponseSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: apiErrorSchema }),
]);
export type ApiResponse = z.infer<typeof apiResponseSchema>;

/**
 * On a TCP connection, requests and answers are numbered: a node may answer a call later than a
 * request that came after it, so answers can arrive out of order.
 */
export const apiFrameSchema = z.object({
  id: z.number().int().nonnegative(),
  /**
   * The machine the request is for. A real machine takes only its own (counted `misdirected`
   * otherwise): a request captured on its way to one machine cannot be replayed to another, whose
   * replay window has never seen it. Optional only for the simulator, which has no wire.
   */
  to: z.string().min(1).optional(),
  request: apiRequestSchema,
});
export const apiAnswerSchema = z.object({ id: z.number().int().nonnegative(), response: apiResponseSchema });
