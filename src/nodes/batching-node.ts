import { increment } from '../messages/index.ts';
import type { NodeConfigOf, NodeHandle, NodeMessageOf, OutputState } from '../messages/index.ts';
import { Node } from './node.ts';

export interface BatchingState {
  total: number;
  /** Counted in `total` but not yet passed on. */
  pending: number;
}

/**
 * A tree node that counts increments and passes them on to its targets (an input node's upstream,
 * an output node's kids): at once, or with `flushMs` > 0 as one increment per flush — exact either
 * way, since a batch is the sum of what it holds.
 */
export abstract class BatchingNode<C extends NodeConfigOf<'input'> | NodeConfigOf<'output'>, S extends BatchingState> extends Node<C, S> {
  private flushScheduled = false;

  /** Who is told of every increment. */
  protected abstract targets(): readonly NodeHandle[];

  protected add(message: NodeMessageOf<'increment'>): void {
    this.state.total += message.amount;
    if (this.config.flushMs === 0) {
      for (const to of this.targets()) this.send(to, message);
      return;
    }
    this.state.pending += message.amount;
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
    this.controller.setTimer(this.config.flushMs, () => this.flush());
  }

  outputState(): OutputState {
    return { total: this.state.total };
  }
}
