/**
 * A tiny system for checking the framework itself: a node kind whose request takes an integer and
 * whose other request answers with a reply that breaks its own schema (a bug a user's node could
 * have), so specs can show how every mode refuses both; a ticker whose resume can be planted with a
 * bug, so specs can show a crash catches it; and an inbox that sends and keeps raw datagrams, so
 * specs can see the raw channel's copies (lost, duplicated) one by one; and a node that throws on a
 * message, so specs can show every mode fails the test over it.
 */
import { Node, defineNode, defineSystem, noMessages, nodeRefSchema, z, type MessageOf, type Reply, type ReplyOf, type RequestOf } from 'distzero';

const probeSchemas = {
  config: z.object({ label: z.string().min(1) }),
  messages: noMessages,
  state: z.object({}),
  requests: {
    /** Echo an integer back. */
    echo: { args: z.object({ n: z.number().int() }), reply: z.object({ n: z.number().int() }) },
    /** Answer with a string where the schema says integer. */
    broken_reply: { args: z.object({}), reply: z.object({ count: z.number().int() }) },
  },
};

class ProbeNode extends Node<typeof probeSchemas> {
  protected state = {};

  receive(message: never): void {
    this.unexpected(message);
  }

  override answer(request: RequestOf<typeof probeSchemas>) {
    if (request.type === 'echo') return { n: request.n };
    return { count: 'many' as unknown as number };
  }
}

const tickerSchemas = {
  config: z.object({
    periodMs: z.number().positive().default(100),
    /** Planted bug: after a restart the ticker forgets to re-arm its timer, and stops. */
    brokenResume: z.boolean().default(false),
  }),
  messages: noMessages,
  state: z.object({ ticks: z.number().int().nonnegative() }),
  requests: {
    /** How many times it has ticked. */
    ticks: { args: z.object({}), reply: z.object({ ticks: z.number().int().nonnegative() }) },
    /** Answered once it has ticked `ticks` times: a call that stays in flight. */
    await_ticks: { args: z.object({ ticks: z.number().int() }), reply: z.object({ ticks: z.number().int().nonnegative() }) },
    /** The time on its machine's clock (skewed or not). */
    clock: { args: z.object({}), reply: z.object({ now: z.number() }) },
  },
};

/** Counts ticks of its own timer: its only durable state is the count, its timer lives in the process. */
class TickerNode extends Node<typeof tickerSchemas> {
  protected state = { ticks: 0 };
  /** Calls held until enough ticks: process memory, so a crash loses them (their callers hear of it). */
  private held: { ticks: number; reply: Reply<typeof tickerSchemas> }[] = [];

  override initialize(): void {
    this.tickLater();
  }

  /** A restarted process has no timers: the ticker must arm its own again (unless the bug is planted). */
  protected override resume(): void {
    this.logger.info({ ticks: this.state.ticks }, 'resumed from the journal');
    if (!this.config.brokenResume) this.tickLater();
  }

  private tickLater(): void {
    this.setTimer(this.config.periodMs, () => {
      this.state.ticks++;
      const due = this.held.filter((h) => h.ticks <= this.state.ticks);
      this.held = this.held.filter((h) => h.ticks > this.state.ticks);
      for (const { reply } of due) reply({ ticks: this.state.ticks });
      this.tickLater();
    });
  }

  receive(message: never): void {
    this.unexpected(message);
  }

  override answer(request: RequestOf<typeof tickerSchemas>, reply: Reply<typeof tickerSchemas>) {
    if (request.type === 'clock') return { now: this.now() };
    if (request.type === 'await_ticks' && request.ticks > this.state.ticks) {
      this.held.push({ ticks: request.ticks, reply });
      return;
    }
    return { ticks: this.state.ticks };
  }
}

export const probeNode = defineNode('testkit.probe', probeSchemas, ProbeNode);
export const tickerNode = defineNode('testkit.ticker', tickerSchemas, TickerNode);
const inboxSchemas = {
  config: z.object({}),
  messages: z.discriminatedUnion('type', [z.object({ type: z.literal('note'), n: z.number().int() })]),
  state: z.object({ got: z.array(z.object({ n: z.number().int(), from: z.string() })) }),
  requests: {
    /** Send `n` to `to` as one raw datagram (no link: it may be lost or arrive twice). */
    send_raw: { args: z.object({ to: nodeRefSchema, n: z.number().int() }), reply: z.object({}) },
    /** Every note that arrived, one entry per copy, in arrival order. */
    got: { args: z.object({}), reply: z.object({ got: z.array(z.object({ n: z.number().int(), from: z.string() })) }) },
  },
};

class InboxNode extends Node<typeof inboxSchemas> {
  protected state: z.output<typeof inboxSchemas.state> = { got: [] };

  receive(message: z.output<typeof inboxSchemas.messages>, fromId: string): void {
    this.state.got.push({ n: message.n, from: fromId });
  }

  override answer(request: RequestOf<typeof inboxSchemas>): ReplyOf<typeof inboxSchemas> {
    if (request.type === 'got') return { got: this.state.got };
    this.connect(request.to);
    this.sendRaw(request.to.handle, { type: 'note', n: request.n });
    return {};
  }
}

export const inboxNode = defineNode('testkit.inbox', inboxSchemas, InboxNode);
const fragileSchemas = {
  config: z.object({}),
  messages: z.discriminatedUnion('type', [z.object({ type: z.literal('poison') }), z.object({ type: z.literal('reject_later') })]),
  state: z.object({}),
  requests: {},
};

/**
 * Throws on the message `poison`: a node's bug, which a real machine logs and survives, and a test
 * must still hear of. On `reject_later` it leaves a promise rejected, which a real machine's process dies of.
 */
class FragileNode extends Node<typeof fragileSchemas> {
  protected state = {};

  receive(message: MessageOf<typeof fragileSchemas>): void {
    if (message.type === 'poison') throw new Error('poisoned');
    // A promise left rejected, outside every handler: on a real machine the process dies of it.
    void Promise.reject(new Error('rejected later'));
  }
}

export const fragileNode = defineNode('testkit.fragile', fragileSchemas, FragileNode);

export const testkitSystem = defineSystem('testkit', [probeNode, tickerNode, inboxNode, fragileNode]);
