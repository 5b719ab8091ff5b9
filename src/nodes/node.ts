import type { MachineController } from '../runtime/machine-controller.ts';
import { UnexpectedMessageError } from '../runtime/errors.ts';
import { hello } from '../messages/index.ts';
import type { NodeConfig, NodeHandle, NodeMessage, NodeRef, OutputState } from '../messages/index.ts';

/**
 * A unit of work that exchanges messages. Written once, it runs unchanged in every mode: all it
 * knows of the world is its MachineController.
 */
export abstract class Node<C extends NodeConfig = NodeConfig, S extends object = object> {
  readonly handle: NodeHandle;
  /** Everything the node must remember across a crash: plain JSON, so a machine can journal it. */
  protected abstract state: S;

  constructor(
    readonly config: C,
    protected readonly controller: MachineController,
  ) {
    this.handle = { id: config.id, machineId: controller.machineId };
  }

  get id(): string {
    return this.config.id;
  }

  /** Called once, right after the node is started on its machine. */
  initialize(): void {}

  /** The node's state, for the machine's journal. */
  snapshot(): S {
    return structuredClone(this.state);
  }

  /** Take back a journaled state after a restart (instead of initialize), then pick up where it was. */
  restore(state: S): void {
    this.state = state;
    this.resume();
  }

  /** Re-arm whatever timers the restored state implies. */
  protected resume(): void {}

  /** Handle a message that arrived over the link from node `fromId`. */
  abstract receive(message: NodeMessage, fromId: string): void;

  /** What the test reads back (an output leaf's total, for instance). */
  abstract outputState(): OutputState;

  /** The config of a new kid of this node, to be started on `kid.machineId`. */
  createKidConfig(kid: { id: string; name: string; machineId: string }): NodeConfig {
    throw new Error(`${this.config.kind} node ${this.id} cannot have kids (asked for ${kid.name})`);
  }

  /** This node's handle plus how to reach it: what it hands to nodes that should talk back. */
  protected ref(): NodeRef {
    return { handle: this.handle, transport: this.controller.transportFor(this.id) };
  }

  protected connect(ref: NodeRef): void {
    this.controller.setTransport(ref.handle, ref.transport);
  }

  /** Connect to a node and tell it who this node is to it (its kid, its sender, its receiver). */
  protected introduce(to: NodeRef, role: 'kid' | 'sender' | 'receiver'): void {
    this.connect(to);
    this.send(to.handle, hello(this.ref(), role));
  }

  protected send(to: NodeHandle, message: NodeMessage): void {
    this.controller.send(this.id, to, message);
  }

  protected unexpected(message: NodeMessage): never {
    throw new UnexpectedMessageError(this.id, this.config.kind, message.type);
  }
}
