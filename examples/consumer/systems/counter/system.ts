/**
 * The counter system: a node kind `counter` that keeps a running total. A test asks it to `add` an
 * amount or to `read` the total. A counter made with a `mirror` passes every amount on to that
 * other counter and answers the `add` only once the mirror has applied it too.
 */
import { Node, defineNode, defineSystem, nodeRefSchema, z, type MessageOf, type Reply, type RequestOf } from 'distzero';

/** Everything that crosses the kind's boundary, as zod schemas: the framework checks each body. */
const schemas = {
  /** What `spawn` passes: another counter to keep in step, or none. */
  config: z.object({ mirror: nodeRefSchema.nullable().default(null) }),
  /** What other nodes may send it: objects told apart by their `type`. */
  messages: z.discriminatedUnion('type', [
    /** To the mirror: add `amount`, then tell `from` (how to reach the sender) that add `id` is applied. */
    z.object({ type: z.literal('added'), id: z.number().int(), amount: z.number().int(), from: nodeRefSchema }),
    /** Back from the mirror. */
    z.object({ type: z.literal('applied'), id: z.number().int() }),
  ]),
  /** What it journals: all it needs to come back after its machine restarts. */
  state: z.object({ total: z.number().int(), lastId: z.number().int() }),
  /** What a test may ask it, and what it answers. */
  requests: {
    add: { args: z.object({ amount: z.number().int() }), reply: z.object({ total: z.number().int() }) },
    read: { args: z.object({}), reply: z.object({ total: z.number().int() }) },
  },
};

class Counter extends Node<typeof schemas> {
  protected state = { total: 0, lastId: 0 };
  /** Adds waiting for the mirror, by id. Not journaled: a crash ends the calls waiting here too. */
  private readonly waiting = new Map<number, Reply<typeof schemas>>();

  override initialize(): void {
    // Learn how to reach the mirror; links between nodes are reliable and ordered.
    if (this.config.mirror) this.connect(this.config.mirror);
  }

  /** A message from another counter (already validated against `messages`). */
  receive(message: MessageOf<typeof schemas>): void {
    switch (message.type) {
      case 'added':
        this.state.total += message.amount;
        // Answer the sender: its message says how to reach it.
        this.connect(message.from);
        this.send(message.from.handle, { type: 'applied', id: message.id });
        return;
      case 'applied':
        this.waiting.get(message.id)?.({ total: this.state.total });
        this.waiting.delete(message.id);
        return;
    }
  }

  /** A request from the test (already validated): return the reply, or keep `reply` and call it later. */
  override answer(request: RequestOf<typeof schemas>, reply: Reply<typeof schemas>) {
    if (request.type === 'read') return { total: this.state.total };
    this.state.total += request.amount;
    const mirror = this.config.mirror;
    if (!mirror) return { total: this.state.total };
    const id = ++this.state.lastId;
    this.waiting.set(id, reply);
    this.send(mirror.handle, { type: 'added', id, amount: request.amount, from: this.ref() });
    return undefined; // answered when the mirror says `applied`
  }
}

export const counter = defineNode('counter', schemas, Counter);
export const counterSystem = defineSystem('counter', [counter]);
