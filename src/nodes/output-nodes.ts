import { hello, increment, setTotal } from '../messages/index.ts';
import type { NodeConfig, NodeConfigOf, NodeHandle, NodeMessage, OutputState } from '../messages/index.ts';
import { Node } from './node.ts';

/**
 * Root or internal node of an output tree: holds the total and fans every change out to its kids.
 * A kid that joins gets the current total first; the link's ordering puts later increments after it.
 */
export class OutputNode extends Node<NodeConfigOf<'output'>, { total: number; pending: number; kids: NodeHandle[] }> {
  /** `pending`: added to `total` but not yet passed on to the kids (batching). */
  protected state = { total: 0, pending: 0, kids: [] as NodeHandle[] };
  private flushScheduled = false;

  override initialize(): void {
    const parent = this.config.parent;
    if (!parent) return;
    this.connect(parent);
    this.send(parent.handle, hello(this.ref(), 'kid'));
  }

  protected override resume(): void {
    if (this.state.pending !== 0) this.scheduleFlush();
  }

  receive(message: NodeMessage): void {
    const state = this.state;
    switch (message.type) {
      case 'hello':
        this.connect(message.from);
        if (message.role === 'kid') {
          state.kids.push(message.from.handle);
          // What the other kids have been told; the pending part reaches this kid with the next flush.
          this.send(message.from.handle, setTotal(state.total - state.pending));
        }
        return;
      case 'increment':
        state.total += message.amount;
        if (this.config.flushMs === 0) {
          for (const kid of state.kids) this.send(kid, message);
          return;
        }
        state.pending += message.amount;
        this.scheduleFlush();
        return;
      case 'set_total':
        this.flush();
        state.total = message.total;
        for (const kid of state.kids) this.send(kid, message);
        return;
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.controller.setTimer(this.config.flushMs, () => this.flush());
  }

  /** Pass what has accumulated to every kid as one increment. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.state.pending === 0) return;
    const batch = increment(this.state.pending);
    this.state.pending = 0;
    for (const kid of this.state.kids) this.send(kid, batch);
  }

  override createKidConfig(kid: { id: string; name: string }): NodeConfig {
    return { kind: 'output_leaf', id: kid.id, name: kid.name, parent: this.ref() };
  }

  outputState(): OutputState {
    return { total: this.state.total };
  }
}

/** What one user sees: the total, as its output tree tells it. */
export class OutputLeafNode extends Node<NodeConfigOf<'output_leaf'>, { total: number }> {
  protected state = { total: 0 };

  override initialize(): void {
    this.connect(this.config.parent);
    this.send(this.config.parent.handle, hello(this.ref(), 'kid'));
  }

  receive(message: NodeMessage): void {
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

  outputState(): OutputState {
    return { total: this.state.total };
  }
}
