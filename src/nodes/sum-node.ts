import { hello, setTotal } from '../messages/index.ts';
import type { NodeConfigOf, NodeHandle, NodeMessage, NodeRef, OutputState } from '../messages/index.ts';
import { Node } from './node.ts';

/**
 * Adds up what its senders (input trees) send and passes each increment on to its receivers (output
 * trees). It introduces itself to both; each receiver first gets the total so far.
 */
export class SumNode extends Node<NodeConfigOf<'sum'>> {
  private total = 0;
  private readonly receivers: NodeHandle[] = [];

  override initialize(): void {
    for (const sender of this.config.senders) {
      this.connect(sender);
      this.send(sender.handle, hello(this.ref(), 'receiver'));
    }
    for (const receiver of this.config.receivers) this.addReceiver(receiver);
  }

  private addReceiver(receiver: NodeRef): void {
    this.connect(receiver);
    this.receivers.push(receiver.handle);
    this.send(receiver.handle, hello(this.ref(), 'sender'));
    this.send(receiver.handle, setTotal(this.total));
  }

  receive(message: NodeMessage): void {
    switch (message.type) {
      case 'increment':
        this.total += message.amount;
        for (const to of this.receivers) this.send(to, message);
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
    return { total: this.total };
  }
}
