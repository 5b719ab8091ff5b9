import { z } from 'zod';
import { nodeHandleSchema, transportSchema } from './handles.ts';
import { nodeConfigSchema, outputStateSchema } from './node-configs.ts';
import { nodeMessageSchema } from './node-messages.ts';

/** Requests the test process (via a spawner) makes of one machine. */
export const apiRequestSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ping') }),
  z.object({ type: z.literal('start_node'), config: nodeConfigSchema }),
  /** Ask a tree node for the config of a new kid of its own, to be started on `machineId`. */
  z.object({
    type: z.literal('create_kid_config'),
    parentId: z.string().min(1),
    kid: z.object({ id: z.string().min(1), name: z.string().min(1), machineId: z.string().min(1) }),
  }),
  /** Deliver a message to a node as if sent by the test itself. */
  z.object({ type: z.literal('send_to_node'), nodeId: z.string().min(1), message: nodeMessageSchema }),
  z.object({ type: z.literal('get_output_state'), nodeId: z.string().min(1) }),
  /** Skew the machine's clock: an offset from true time and a rate (1 = true). */
  z.object({ type: z.literal('set_clock'), offsetMs: z.number().min(-86_400_000).max(86_400_000), rate: z.number().positive().max(10) }),
]);
export type ApiRequest = z.infer<typeof apiRequestSchema>;

/** The result each request type answers with, keyed by request type. */
export const apiResultSchemas = {
  /** `rejected`: inputs a real machine refused so far, by reason (absent in simulation). */
  ping: z.object({ machineId: z.string(), transport: transportSchema, rejected: z.record(z.string(), z.number()).optional() }),
  start_node: nodeHandleSchema,
  create_kid_config: nodeConfigSchema,
  send_to_node: z.object({}),
  get_output_state: outputStateSchema,
  set_clock: z.object({ now: z.number() }),
} satisfies Record<ApiRequest['type'], z.ZodType>;
export type ApiResult<T extends ApiRequest['type']> = z.infer<(typeof apiResultSchemas)[T]>;

export const apiErrorSchema = z.object({ name: z.string(), message: z.string() });
export const apiResponseSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: apiErrorSchema }),
]);
export type ApiResponse = z.infer<typeof apiResponseSchema>;
