/**
 * The counter system: a node kind `counter` that keeps a running total. A test asks it to `add` an
 * amount or to `read` the total; a counter made with a `mirror` tells that other counter of every
 * amount it adds, in an `added` message, so the mirror's total follows its own.
 */
import { Node, defineNode, defineSystem, nodeRefSchema, z, type MessageOf, type RequestOf } from 'distzero';

/** Everything that crosses the kind's boundary, as zod schemas: the framework checks each body. */
const schemas = {
  /** What `spawn` passes: another counter to keep in step, or none. */
  config: z.object({ mirror: nodeRefSchema.nullable().default(null) }),
  /** What other nodes may send it: objects told apart by their `type`. */
  messages: z.discriminatedUnion('type', [z.object({ type: z.literal('added'), amount: z.number().int() })]),
  /** What it journals: all it needs to come back after its machine restarts. */
  state: z.object({ total: z.number().int() }),
  /** What a test may ask it, and what it answers. */
  requests: {
    add: { args: z.object({ amount: z.number().int() }), reply: z.object({ total: z.number().int() }) },
    read: { args: z.object({}), reply: z.object({ total: z.number().int() }) },
  },
};

class Counter extends Node<typeof schemas> {
  protected state = { total: 0 };

  override initialize(): void {
    // Learn how to reach the mirror; links between nodes are reliable and ordered.
    if (this.config.mirror) this.connect(this.config.mirror);
  }

  /** A message from another counter (already validated against `messages`). */
  receive(message: MessageOf<typeof schemas>): void {
    this.state.total += message.amount;
  }

  /** A request from the test (already validated); the reply is validated too. */
  override answer(request: RequestOf<typeof schemas>) {
    if (request.type === 'add') {
      this.state.total += request.amount;
      if (this.config.mirror) this.send(this.config.mirror.handle, { type: 'added', amount: request.amount });
    }
    return { total: this.state.total };
  }
}

export const counter = defineNode('counter', schemas, Counter);
export const counterSystem = defineSystem('counter', [counter]);
