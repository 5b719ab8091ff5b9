import { z } from 'zod';

/** Where a machine can be reached: the simulator addresses machines by id, real runners by UDP host:port. */
export const addressSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sim'), machineId: z.string().min(1) }),
  z.object({ kind: z.literal('udp'), host: z.string().min(1), port: z.number().int().min(1).max(65535) }),
]);
export type Address = z.infer<typeof addressSchema>;

/** Names a node anywhere in the system, with its kind (what a sender checks its messages against). */
export const nodeHandleSchema = z.object({ id: z.string().min(1), machineId: z.string().min(1), kind: z.string().min(1) });
export type NodeHandle = z.infer<typeof nodeHandleSchema>;

/** How a sender reaches the machine that hosts a receiver (the seed's "transport"). */
export const transportSchema = z.object({ machineId: z.string().min(1), address: addressSchema });
export type Transport = z.infer<typeof transportSchema>;

/** A handle together with the transport to reach it: what configs carry about other nodes. */
export const nodeRefSchema = z.object({ handle: nodeHandleSchema, transport: transportSchema });
export type NodeRef = z.infer<typeof nodeRefSchema>;

export function addressKey(address: Address): string {
  return address.kind === 'sim' ? `sim:${address.machineId}` : `${address.host}:${address.port}`;
}

/**
 * A system's message, request or reply as the framework carries it: a JSON object with a `type`.
 * Its other fields are the system's own; the node kind's schema checks them.
 */
export const bodySchema = z.looseObject({ type: z.string().min(1) });
export type Body = z.infer<typeof bodySchema>;
