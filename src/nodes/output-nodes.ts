import { hello, increment, setTotal } from '../messages/index.ts';
import type { NodeConfig, NodeConfigOf, NodeHandle, NodeMessage, OutputState } from '../messages/index.ts';
import { Node } from './node.ts';

/**
 * Root or internal node of an output tree: holds the total and fans every change out to its kids.
 * A kid that joins gets the current total first; the link's ordering puts later increments after it.
 */
export class OutputNode extends Node<NodeConfigOf<'output'>> {
  private total = 0;
  /** Added to `total` but not yet passed on to the kids (batching). */
  private pending = 0;
  private flushScheduled = false;
  private readonly kids: NodeHandle[] = [];

  override initialize(): void {
    const parent = this.config.parent;
    if (!parent) return;
    this.connect(parent);
    this.send(parent.handle, hello(this.ref(), 'kid'));
  }

  receive(message: NodeMessage): void {
    switch (message.type) {
      case 'hello':
        this.connect(message.from);
        if (message.role === 'kid') {
          this.kids.push(message.from.handle);
          // What the other kids have been told; the pending part reaches this kid with the next flush.
          this.send(message.from.handle, setTotal(this.total - this.pending));
        }
        return;
      case 'increment':
        this.total += message.amount;
        if (this.config.flushMs === 0) {
          for (const kid of this.kids) this.send(kid, message);
          return;
        }
        this.pending += message.amount;
        if (!this.flushScheduled) {
          this.flushScheduled = true;
          this.controller.setTimer(this.config.flushMs, () => this.flush());
        }
        return;
      case 'set_total':
        this.flush();
        this.total = message.total;
        for (const kid of this.kids) this.send(kid, message);
        return;
    }
  }

  /** Pass what has accumulated to every kid as one increment. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.pending === 0) return;
    const batch = increment(this.pending);
    this.pending = 0;
    for (const kid of this.kids) this.send(kid, batch);
  }

  override createKidConfig(kid: { id: string; name: string }): NodeConfig {
    return { kind: 'output_leaf', id: kid.id, name: kid.name, parent: this.ref() };
  }

  outputState(): OutputState {
    return { total: this.total };
  }
}

/** What one user sees: the total, as its output tree tells it. */
export class OutputLeafNode extends Node<NodeConfigOf<'output_leaf'>> {
  private total = 0;

  override initialize(): void {
    this.connect(this.config.parent);
    this.send(this.config.parent.handle, hello(this.ref(), 'kid'));
  }

  receive(message: NodeMessage): void {
    switch (message.type) {
      case 'increment':
        this.total += message.amount;
        return;
      case 'set_total':
        this.total = message.total;
        return;
      case 'hello':
        return this.unexpected(message);
    }
  }

  outputState(): OutputState {
    return { total: this.total };
  }
}
