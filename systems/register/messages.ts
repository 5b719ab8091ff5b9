/** The register system's wire vocabulary: what a client asks any node, and what nodes tell one another. */
import { nodeRefSchema, z } from 'distzero';

/** What a register holds: integers; `null` is a key never written. */
export const registerValue = z.number().int().nullable();
export type RegisterValue = z.infer<typeof registerValue>;

const key = z.string().min(1);
const view = z.number().int().nonnegative();
const seq = z.number().int().nonnegative();
/** The whole register, by key (a key never written is absent): small, so every replication round carries all of it. */
const values = z.record(z.string(), z.number().int());

/**
 * A request the cluster did not carry out, said so instead of an answer:
 * - `not_leader`: the node asked knows no leader that could take it (a view change is under way),
 *   or the leader it went to was no longer one. It was never applied: a definite failure.
 * - `unknown`: the leader was deposed while the operation was being replicated: a later leader may
 *   or may not have it. The client must treat it as possibly applied.
 */
export const refusal = z.object({ error: z.enum(['not_leader', 'unknown']) });
export type Refusal = z.infer<typeof refusal>;

/** Maelstrom's `read`: the key's value, `null` if it was never written. */
export const readRequest = { args: z.object({ key }), reply: z.union([z.object({ value: registerValue }), refusal]) };
/** Maelstrom's `write`: the reply is a bare ack, sent once a majority holds the write. */
export const writeRequest = { args: z.object({ key, value: z.number().int() }), reply: z.union([z.object({ written: z.literal(true) }), refusal]) };
/**
 * Compare-and-set: `to` replaces the value iff it is `from` (`null`: iff the key was never written).
 * A cas that found another value is not an error: it happened, changed nothing, and says so with
 * `{ ok: false }` — a definite outcome, which the history records as `ok` with `false`. (Maelstrom
 * reports it as error 22; an error would make a client guess whether it took effect.)
 */
export const casRequest = { args: z.object({ key, from: registerValue, to: z.number().int() }), reply: z.union([z.object({ ok: z.boolean() }), refusal]) };
export const registerRequests = { read: readRequest, write: writeRequest, cas: casRequest };

/** A client operation as it travels from the node a client asked to the leader: exactly the request. */
const operation = z.discriminatedUnion('type', [
  z.object({ type: z.literal('read'), key }),
  z.object({ type: z.literal('write'), key, value: z.number().int() }),
  z.object({ type: z.literal('cas'), key, from: registerValue, to: z.number().int() }),
]);
export type RegisterOperation = z.infer<typeof operation>;

/** Any answer to an operation, carried back from the leader to the node that forwarded it. */
const reply = z.union([z.object({ value: registerValue }), z.object({ written: z.literal(true) }), z.object({ ok: z.boolean() }), refusal]);
export type RegisterReply = z.infer<typeof reply>;

export const registerMessage = z.discriminatedUnion('type', [
  /** Test → every node, once: the cluster in order (the leader of view v is `members[v mod n]`). */
  z.object({ type: z.literal('cluster'), members: z.array(nodeRefSchema).min(1) }),
  /** "I have moved to view `view`": whoever is behind follows, and tells that view's leader what it holds. */
  z.object({ type: z.literal('view_change'), view }),
  /** To the leader of `view`: the sender's state, stamped with the (view, seq) it was accepted in. */
  z.object({ type: z.literal('do_view_change'), view, acceptedView: view, seq, values }),
  /** Leader → all: the register as of (view, seq). The first of a view (seq 0) starts the view. */
  z.object({ type: z.literal('accept'), view, seq, values }),
  /** Follower → leader: it holds (view, seq). A majority of these commits it. */
  z.object({ type: z.literal('accepted'), view, seq }),
  /** Leader → all, between operations: the view is alive. */
  z.object({ type: z.literal('beat'), view }),
  /** Node → leader: a client's request; `id` is unique over the node's life (journaled), so a late answer never meets the wrong client. */
  z.object({ type: z.literal('forward'), id: z.number().int().nonnegative(), operation }),
  /** Leader → node: the answer to forward `id`. */
  z.object({ type: z.literal('result'), id: z.number().int().nonnegative(), reply }),
]);
export type RegisterMessage = z.infer<typeof registerMessage>;
