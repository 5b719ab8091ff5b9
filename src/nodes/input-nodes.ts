import { increment } from '../messages/index.ts';
import type { NodeConfig, NodeConfigOf, NodeHandle, NodeMessage, OutputState } from '../messages/index.ts';
import { BatchingNode, type BatchingState } from './batching-node.ts';
import { Node } from './node.ts';
import { RecordedUser } from './recorded-user.ts';

/**
 * Root or internal node of an input tree. Totals what its kids send and passes it up to its parent,
 * or at the root to its receivers (sum nodes). A receiver that joins late first gets the whole
 * total so far, so it never misses what came before it.
 */
export class InputNode extends BatchingNode<NodeConfigOf<'input'>, BatchingState & { upstream: NodeHandle[] }> {
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

  receive(message: NodeMessage): void {
    switch (message.type) {
      case 'hello':
        this.connect(message.from);
        if (message.role === 'receiver') {
          this.state.upstream.push(message.from.handle);
          if (this.told() !== 0) this.send(message.from.handle, increment(this.told()));
        }
        return;
      case 'increment':
        return this.add(message);
      case 'set_total':
        return this.unexpected(message);
    }
  }

  override createKidConfig(kid: { id: string; name: string }): NodeConfig {
    return { kind: 'input_leaf', id: kid.id, name: kid.name, parent: this.ref(), recording: [] };
  }
}

/** Plays back a recorded user: each action becomes an increment to its parent at its time. */
export class InputLeafNode extends Node<NodeConfigOf<'input_leaf'>, { sent: number; next: number; startedAt: number }> {
  protected state = { sent: 0, next: 0, startedAt: 0 };

  override initialize(): void {
    RecordedUser.validate(this.config.name, this.config.recording);
    this.introduce(this.config.parent, 'kid');
    this.state.startedAt = this.controller.now();
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
    const delay = Math.max(0, this.state.startedAt + first.atMs - this.controller.now());
    this.controller.setTimer(delay, () => {
      const elapsed = this.controller.now() - this.state.startedAt;
      for (let a = this.config.recording[this.state.next]; a && (a === first || a.atMs <= elapsed); a = this.config.recording[this.state.next]) {
        this.state.next++;
        this.state.sent += a.action.amount;
        this.send(this.config.parent.handle, increment(a.action.amount));
      }
      this.scheduleNext();
    });
  }

  receive(message: NodeMessage): void {
    this.unexpected(message);
  }

  outputState(): OutputState {
    return { total: this.state.sent };
  }
}
