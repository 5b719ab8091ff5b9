/** The register system's wire vocabulary: what a client asks any node, and what nodes tell one another. */
import { nodeRefSchema, z, type NodeRef } from 'distzero';

/** What a register holds: integers; `null` is a key never written. */
export const registerValue = z.number().int().nullable();
export type RegisterValue = z.infer<typeof registerValue>;

const key = z.string().min(1);

/** Maelstrom's `read`: the key's value, `null` if it was never written. */
export const readRequest = { args: z.object({ key }), reply: z.object({ value: registerValue }) };
/** Maelstrom's `write`: the reply is a bare ack, sent once the write is applied (and journaled) at the primary. */
export const writeRequest = { args: z.object({ key, value: z.number().int() }), reply: z.object({}) };
/**
 * Compare-and-set: `to` replaces the value iff it is `from` (`null`: iff the key was never written).
 * A cas that found another value is not an error: it happened, changed nothing, and says so with
 * `{ ok: false }` — a definite outcome, which the history records as `ok` with `false`. (Maelstrom
 * reports it as error 22; an error would make a client guess whether it took effect.)
 */
export const casRequest = { args: z.object({ key, from: registerValue, to: z.number().int() }), reply: z.object({ ok: z.boolean() }) };
export const registerRequests = { read: readRequest, write: writeRequest, cas: casRequest };

/** A client operation as it travels from a backup to the primary: exactly the request a client made. */
const operation = z.discriminatedUnion('type', [
  z.object({ type: z.literal('read'), key }),
  z.object({ type: z.literal('write'), key, value: z.number().int() }),
  z.object({ type: z.literal('cas'), key, from: registerValue, to: z.number().int() }),
]);
export type RegisterOperation = z.infer<typeof operation>;

/** Any of the three replies, carried back from the primary to the backup that forwarded the request. */
const reply = z.union([readRequest.reply, casRequest.reply, writeRequest.reply]);
export type RegisterReply = z.infer<typeof reply>;

export const registerMessage = z.discriminatedUnion('type', [
  /** Backup → primary, once at start: how to reach it, so the primary replicates to it and answers its forwards. */
  z.object({ type: z.literal('hello'), from: nodeRefSchema }),
  /** Primary → backup, in answer to its hello: the whole register, after which every update follows in order. */
  z.object({ type: z.literal('sync'), values: z.record(z.string(), z.number().int()) }),
  /** Primary → every backup: a key's new value, in the order the primary applied them (links are FIFO). */
  z.object({ type: z.literal('update'), key, value: z.number().int() }),
  /** Backup → primary: a client's request; `id` is unique over the backup's life (journaled), so a late answer never meets the wrong client. */
  z.object({ type: z.literal('forward'), id: z.number().int().nonnegative(), operation }),
  /** Primary → backup: the answer to forward `id`. */
  z.object({ type: z.literal('result'), id: z.number().int().nonnegative(), reply }),
]);
export type RegisterMessage = z.infer<typeof registerMessage>;

export const hello = (from: NodeRef): RegisterMessage => ({ type: 'hello', from });
