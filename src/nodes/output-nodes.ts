import { setTotal } from '../messages/index.ts';
import type { NodeConfig, NodeConfigOf, NodeHandle, NodeMessage, OutputState } from '../messages/index.ts';
import { BatchingNode, type BatchingState } from './batching-node.ts';
import { Node } from './node.ts';

/**
 * Root or internal node of an output tree: holds the total and fans every change out to its kids.
 * A kid that joins gets the current total first; the link's ordering puts later increments after it.
 */
export class OutputNode extends BatchingNode<NodeConfigOf<'output'>, BatchingState & { kids: NodeHandle[] }> {
  protected state = { total: 0, pending: 0, kids: [] as NodeHandle[] };

  protected targets(): readonly NodeHandle[] {
    return this.state.kids;
  }

  override initialize(): void {
    const parent = this.config.parent;
    if (parent) this.introduce(parent, 'kid');
  }

  receive(message: NodeMessage): void {
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
        return this.add(message);
      case 'set_total':
        this.flush();
        this.state.total = message.total;
        for (const kid of this.state.kids) this.send(kid, message);
        return;
    }
  }

  override createKidConfig(kid: { id: string; name: string }): NodeConfig {
    return { kind: 'output_leaf', id: kid.id, name: kid.name, parent: this.ref() };
  }
}

/** What one user sees: the total, as its output tree tells it. */
export class OutputLeafNode extends Node<NodeConfigOf<'output_leaf'>, { total: number }> {
  protected state = { total: 0 };

  override initialize(): void {
    this.introduce(this.config.parent, 'kid');
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
