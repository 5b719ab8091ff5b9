import { setTotal } from '../messages/index.ts';
import type { NodeConfigOf, NodeHandle, NodeMessage, NodeRef, OutputState } from '../messages/index.ts';
import { Node } from './node.ts';

/**
 * Adds up what its senders (input trees) send and passes each increment on to its receivers (output
 * trees). It introduces itself to both; each receiver first gets the total so far.
 */
export class SumNode extends Node<NodeConfigOf<'sum'>, { total: number; receivers: NodeHandle[] }> {
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

  receive(message: NodeMessage): void {
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

  outputState(): OutputState {
    return { total: this.state.total };
  }
}
