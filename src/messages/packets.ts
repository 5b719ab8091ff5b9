import { z } from 'zod';
import { addressSchema, bodySchema } from './handles.ts';

/**
 * What travels machine to machine. A link is one direction between two nodes; `inc` is the sending
 * machine's incarnation, so a restarted machine's fresh sequence numbers are not taken for duplicates.
 * `message` is the system's body, carried opaquely: the receiving node's kind validates it.
 * `data` and `ack` make the reliable links; `raw` is a node's datagram, outside any link.
 */
export const packetSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('data'),
    from: z.string().min(1),
    to: z.string().min(1),
    inc: z.string().min(1),
    seq: z.number().int().positive(),
    ackTo: addressSchema,
    /**
     * An acknowledgement riding on this packet: for the link the other way (from `to` back to
     * `from`, whose sender's incarnation is `inc`), every seq up to `seq` arrived. It saves an ack
     * packet whenever a node answers within the delayed ack's wait.
     */
    ack: z.object({ inc: z.string().min(1), seq: z.number().int().nonnegative() }).optional(),
    message: bodySchema,
  }),
  /** Cumulative: every seq up to and including `seq` on link from->to (incarnation `inc`) arrived. */
  z.object({ type: z.literal('ack'), from: z.string().min(1), to: z.string().min(1), inc: z.string().min(1), seq: z.number().int().nonnegative() }),
  /**
   * Node `from`'s message to node `to` on the raw channel: no sequence number, so nothing to
   * acknowledge, resend, deduplicate or order. Each copy that arrives is delivered once; a lost one never.
   */
  z.object({ type: z.literal('raw'), from: z.string().min(1), to: z.string().min(1), message: bodySchema }),
]);
export type Packet = z.infer<typeof packetSchema>;
export type DataPacket = Extract<Packet, { type: 'data' }>;
export type AckPacket = Extract<Packet, { type: 'ack' }>;
export type RawPacket = Extract<Packet, { type: 'raw' }>;

/**
 * A UDP probe from the test process, and the machine's answer (each sealed as a frame kind of its
 * own): proof that a published UDP port reaches the machine the test means, not another container.
 */
export const probeSchema = z.object({ nonce: z.string().min(1).max(64) });
export const probeAnswerSchema = z.object({ nonce: z.string(), machineId: z.string() });
