import type { Logger } from '../logging.ts';
import type { Body, NodeHandle, NodeRef } from '../messages/index.ts';
import { UnexpectedMessageError } from '../runtime/errors.ts';
import type { Cancel, MachineController } from '../runtime/machine-controller.ts';
import type { ConfigOf, KindSchemas, MessageOf, NodeInit, ReplyOf, RequestOf, StateOf } from './kinds.ts';

/** Answers a request: call it once, now or later (after a round of replication, say). */
export type Reply<S extends KindSchemas> = (reply: ReplyOf<S>) => void;

/**
 * A unit of work that exchanges messages. Written once, it runs unchanged in every mode: all it
 * knows of the world is its MachineController. Subclass it with your kind's schemas as `S`, then
 * register it with `defineNode(name, schemas, YourNode)`.
 */
export abstract class Node<S extends KindSchemas = KindSchemas> {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly config: ConfigOf<S>;
  readonly handle: NodeHandle;
  protected readonly controller: MachineController;
  /** Everything the node must remember across a crash: plain JSON, checked against the kind's state schema. */
  protected abstract state: StateOf<S>;

  constructor(init: NodeInit<S>) {
    this.id = init.id;
    this.name = init.name;
    this.kind = init.kind;
    this.config = init.config;
    this.controller = init.controller;
    this.handle = { id: init.id, machineId: init.controller.machineId, kind: init.kind };
  }

  /** Called once, right after the node is started on its machine. */
  initialize(): void {}

  /** The node's state, for the machine's journal. */
  snapshot(): StateOf<S> {
    return structuredClone(this.state);
  }

  /** Take back a journaled state after a restart (instead of initialize), then pick up where it was. */
  restore(state: StateOf<S>): void {
    this.state = state;
    this.resume();
  }

  /** Re-arm whatever timers the restored state implies. */
  protected resume(): void {}

  /** Handle a message from node `fromId` (or from the test, `SYSTEM_SENDER`); already validated. */
  abstract receive(message: MessageOf<S>, fromId: string): void;

  /**
   * Answer a client's request (already validated). Return the reply, or keep `reply` and call it
   * once later; the framework validates the reply against the kind's schema.
   */
  answer(request: RequestOf<S>, _reply: Reply<S>): ReplyOf<S> | void {
    throw new UnexpectedMessageError({ node: this.name, kind: this.kind, type: request.type });
  }

  /** Its machine's logger, its lines naming the node (made on first use: most nodes never log). */
  protected get logger(): Logger {
    return (this.ownLogger ??= this.controller.logger.child({ node_id: this.id, node_name: this.name, kind: this.kind }));
  }

  private ownLogger: Logger | undefined;

  protected now(): number {
    return this.controller.now();
  }

  protected setTimer(delayMs: number, fn: () => void): Cancel {
    return this.controller.setTimer(delayMs, fn, this.id);
  }

  /** This node's handle plus how to reach it: what it hands to nodes that should talk back. */
  protected ref(): NodeRef {
    return { handle: this.handle, transport: this.controller.transportFor(this.id) };
  }

  protected connect(ref: NodeRef): void {
    this.controller.setTransport(ref.handle, ref.transport);
  }

  /** Send over the reliable, ordered link to `to`; the message is checked against `to`'s kind. */
  protected send(to: NodeHandle, message: Body): void {
    this.controller.send(this.id, to, message);
  }

  /**
   * Send one datagram to `to` on the raw channel: no acknowledgement, retransmission, deduplication
   * or ordering, so it arrives once, twice, late or never, as the network decides. For protocols
   * that bring their own retries (and for testing them): with `send` the framework's links would
   * hide every drop and partition from the protocol. Checked against `to`'s kind, like `send`;
   * one to a node that does not exist (yet) is dropped and counted on its machine.
   */
  protected sendRaw(to: NodeHandle, message: Body): void {
    this.controller.sendRaw(this.id, to, message);
  }

  protected unexpected(message: Body): never {
    throw new UnexpectedMessageError({ node: this.name, kind: this.kind, type: message.type });
  }
}
