/**
 * The sum system's node kinds. Input trees are fed by recorded users (input leaves); a sum node adds
 * what the input roots send; output trees fan the total out to their leaves, and every output leaf
 * must reach the exact total. A node that joins late is brought up to date first.
 */
import { Node, defineNode, nodeRefSchema, z, type NodeHandle, type NodeRef, type RequestOf, type StateOf } from 'distzero';
import { handles, hello, increment, kidConfigRequest, recordedActionSchema, setTotal, sumMessage, totalRequest, type Role, type SumMessage } from './messages.ts';
import { RecordedUser } from './recorded-user.ts';

type Schemas = {
  config: z.ZodType;
  messages: typeof sumMessage;
  state: z.ZodType;
  requests: { total: typeof totalRequest; kid_config?: typeof kidConfigRequest };
};

/** What every sum node shares: introducing itself to the nodes it talks to. */
abstract class SumSystemNode<S extends Schemas> extends Node<S> {
  /** Connect to a node and tell it who this node is to it (its kid, its sender, its receiver). */
  protected introduce(to: NodeRef, role: Role): void {
    this.connect(to);
    this.send(to.handle, hello(this.ref(), role));
  }
}

const batchingState = { total: z.number().int(), pending: z.number().int() };
const treeConfig = z.object({ parent: nodeRefSchema.nullable().default(null), flushMs: z.number().nonnegative().default(0) });

/**
 * A tree node that counts increments and passes them on to its targets (an input node's upstream,
 * an output node's kids): at once, or with `flushMs` > 0 as one increment per flush — exact either
 * way, since a batch is the sum of what it holds.
 */
abstract class BatchingNode<S extends Schemas & { config: typeof treeConfig }> extends SumSystemNode<S> {
  private flushScheduled = false;
  protected abstract override state: StateOf<S> & { total: number; pending: number };

  /** Who is told of every increment. */
  protected abstract targets(): readonly NodeHandle[];

  protected add(amount: number): void {
    this.state.total += amount;
    if (this.config.flushMs === 0) {
      // One body for every target, as a flush's batch is: a fan-out to a thousand kids makes one object, not a thousand.
      const message = increment(amount);
      for (const to of this.targets()) this.send(to, message);
      return;
    }
    this.state.pending += amount;
    this.scheduleFlush();
  }

  /** The total the targets have been told so far: what a target that joins now starts from. */
  protected told(): number {
    return this.state.total - this.state.pending;
  }

  /** Pass what has accumulated on as one increment. */
  protected flush(): void {
    this.flushScheduled = false;
    if (this.state.pending === 0) return;
    const batch = increment(this.state.pending);
    this.state.pending = 0;
    for (const to of this.targets()) this.send(to, batch);
  }

  protected override resume(): void {
    if (this.state.pending !== 0) this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.setTimer(this.config.flushMs, () => this.flush());
  }
}

const inputSchemas = {
  config: treeConfig,
  messages: sumMessage,
  state: z.object({ ...batchingState, upstream: handles }),
  requests: { total: totalRequest, kid_config: kidConfigRequest },
};

/**
 * Root or internal node of an input tree. Totals what its kids send and passes it up to its parent,
 * or at the root to its receivers (sum nodes). A receiver that joins late first gets the whole
 * total so far, so it never misses what came before it.
 */
class InputNode extends BatchingNode<typeof inputSchemas> {
  protected state = { total: 0, pending: 0, upstream: [] as NodeHandle[] };

  protected targets(): readonly NodeHandle[] {
    return this.state.upstream;
  }

  override initialize(): void {
    const parent = this.config.parent;
    if (!parent) return;
    this.state.upstream.push(parent.handle);
    this.introduce(parent, 'kid');
  }

  receive(message: SumMessage): void {
    switch (message.type) {
      case 'hello':
        this.connect(message.from);
        if (message.role === 'receiver') {
          this.state.upstream.push(message.from.handle);
          if (this.told() !== 0) this.send(message.from.handle, increment(this.told()));
        }
        return;
      case 'increment':
        return this.add(message.amount);
      case 'set_total':
        return this.unexpected(message);
    }
  }

  override answer(request: RequestOf<typeof inputSchemas>) {
    if (request.type === 'total') return { total: this.state.total };
    return { kind: 'input_leaf' as const, config: { parent: this.ref(), recording: [] } };
  }
}

const inputLeafSchemas = {
  config: z.object({ parent: nodeRefSchema, recording: z.array(recordedActionSchema) }),
  messages: sumMessage,
  state: z.object({ sent: z.number().int(), next: z.number().int().nonnegative(), startedAt: z.number() }),
  requests: { total: totalRequest },
};

/** Plays back a recorded user: each action becomes an increment to its parent at its time. */
class InputLeafNode extends SumSystemNode<typeof inputLeafSchemas> {
  protected state = { sent: 0, next: 0, startedAt: 0 };

  override initialize(): void {
    RecordedUser.validate(this.name, this.config.recording);
    this.introduce(this.config.parent, 'kid');
    this.state.startedAt = this.now();
    this.scheduleNext();
  }

  protected override resume(): void {
    this.connect(this.config.parent);
    this.scheduleNext();
  }

  /**
   * One timer at a time: an idle leaf costs nothing, however long its recording. When it fires, every
   * action that has come due goes out in order (a real clock's timers are coarse).
   */
  private scheduleNext(): void {
    const first = this.config.recording[this.state.next];
    if (!first) return;
    const delay = Math.max(0, this.state.startedAt + first.atMs - this.now());
    this.setTimer(delay, () => {
      const elapsed = this.now() - this.state.startedAt;
      for (let a = this.config.recording[this.state.next]; a && (a === first || a.atMs <= elapsed); a = this.config.recording[this.state.next]) {
        this.state.next++;
        this.state.sent += a.action.amount;
        this.send(this.config.parent.handle, increment(a.action.amount));
      }
      this.scheduleNext();
    });
  }

  receive(message: SumMessage): void {
    this.unexpected(message);
  }

  override answer() {
    return { total: this.state.sent };
  }
}

const outputSchemas = {
  config: treeConfig,
  messages: sumMessage,
  state: z.object({ ...batchingState, kids: handles }),
  requests: { total: totalRequest, kid_config: kidConfigRequest },
};

/**
 * Root or internal node of an output tree: holds the total and fans every change out to its kids.
 * A kid that joins gets the current total first; the link's ordering puts later increments after it.
 */
class OutputNode extends BatchingNode<typeof outputSchemas> {
  protected state = { total: 0, pending: 0, kids: [] as NodeHandle[] };

  protected targets(): readonly NodeHandle[] {
    return this.state.kids;
  }

  override initialize(): void {
    const parent = this.config.parent;
    if (parent) this.introduce(parent, 'kid');
  }

  receive(message: SumMessage): void {
    switch (message.type) {
      case 'hello':
        this.connect(message.from);
        if (message.role === 'kid') {
          this.state.kids.push(message.from.handle);
          // What the other kids have been told; the pending part reaches this kid with the next flush.
          this.send(message.from.handle, setTotal(this.told()));
        }
        return;
      case 'increment':
        return this.add(message.amount);
      case 'set_total':
        this.flush();
        this.state.total = message.total;
        for (const kid of this.state.kids) this.send(kid, message);
        return;
    }
  }

  override answer(request: RequestOf<typeof outputSchemas>) {
    if (request.type === 'total') return { total: this.state.total };
    return { kind: 'output_leaf' as const, config: { parent: this.ref() } };
  }
}

const outputLeafSchemas = {
  config: z.object({ parent: nodeRefSchema }),
  messages: sumMessage,
  state: z.object({ total: z.number().int() }),
  requests: { total: totalRequest },
};

/** What one user sees: the total, as its output tree tells it. */
class OutputLeafNode extends SumSystemNode<typeof outputLeafSchemas> {
  protected state = { total: 0 };

  override initialize(): void {
    this.introduce(this.config.parent, 'kid');
  }

  receive(message: SumMessage): void {
    switch (message.type) {
      case 'increment':
        this.state.total += message.amount;
        return;
      case 'set_total':
        this.state.total = message.total;
        return;
      case 'hello':
        return this.unexpected(message);
    }
  }

  override answer() {
    return { total: this.state.total };
  }
}

const sumSchemas = {
  config: z.object({ senders: z.array(nodeRefSchema), receivers: z.array(nodeRefSchema) }),
  messages: sumMessage,
  state: z.object({ total: z.number().int(), receivers: handles }),
  requests: { total: totalRequest },
};

/**
 * Adds up what its senders (input trees) send and passes each increment on to its receivers (output
 * trees). It introduces itself to both; each receiver first gets the total so far.
 */
class SumNode extends SumSystemNode<typeof sumSchemas> {
  protected state = { total: 0, receivers: [] as NodeHandle[] };

  override initialize(): void {
    for (const sender of this.config.senders) this.introduce(sender, 'receiver');
    for (const receiver of this.config.receivers) this.addReceiver(receiver);
  }

  private addReceiver(receiver: NodeRef): void {
    this.state.receivers.push(receiver.handle);
    this.introduce(receiver, 'sender');
    this.send(receiver.handle, setTotal(this.state.total));
  }

  receive(message: SumMessage): void {
    switch (message.type) {
      case 'increment':
        this.state.total += message.amount;
        for (const to of this.state.receivers) this.send(to, message);
        return;
      case 'hello':
        // A receiver may also join later by introducing itself.
        if (message.role === 'receiver') this.addReceiver(message.from);
        else this.connect(message.from);
        return;
      case 'set_total':
        return this.unexpected(message);
    }
  }

  override answer() {
    return { total: this.state.total };
  }
}

export const inputNode = defineNode('input', inputSchemas, InputNode);
export const inputLeafNode = defineNode('input_leaf', inputLeafSchemas, InputLeafNode);
export const outputNode = defineNode('output', outputSchemas, OutputNode);
export const outputLeafNode = defineNode('output_leaf', outputLeafSchemas, OutputLeafNode);
export const sumNode = defineNode('sum', sumSchemas, SumNode);

/** Test-only: the class of the input leaf, for a spec that plants a bug in a subclass of it. */
export { InputLeafNode };
