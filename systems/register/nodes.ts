/**
 * The register node: a replicated key-value register, primary–backup with a fixed primary.
 *
 * One kind plays both roles. The primary (the node whose config names no `primary`) holds the truth:
 * it applies every client operation in the order it gets them, and its state is journaled by the
 * framework before its answer or any update leaves the step — so whatever a client was told survives
 * a crash of the primary. A backup takes client requests too, forwards each to the primary over the
 * reliable link and answers its client when the primary's result comes back; it also keeps a replica,
 * applying the primary's updates in order (a copy for durability, and what the planted bug reads).
 *
 * There is no view change: the primary is fixed for the system's life. While it is down or cut off,
 * requests wait (the links retransmit) and clients time out; nothing is ever answered wrongly, so
 * the register is linearizable always and available only while the primary is reachable.
 *
 * The planted bug, `staleReads: true`: a backup answers reads from its own replica without asking
 * the primary, so a backup that lags (a partition, a lost packet being resent) returns old values.
 */
import { Node, defineNode, nodeRefSchema, z, type NodeHandle, type NodeRef, type Reply, type ReplyOf, type RequestOf } from 'distzero';
import { hello, registerMessage, registerRequests, type RegisterMessage, type RegisterOperation, type RegisterReply } from './messages.ts';

const schemas = {
  config: z.object({
    /** The primary, for a backup; absent on the primary itself (its handle does not exist before it is spawned). */
    primary: nodeRefSchema.optional(),
    /** The planted bug: backups serve reads from their own replica. */
    staleReads: z.boolean().default(false),
  }),
  messages: registerMessage,
  state: z.object({
    /** The register, by key; a key never written is absent. On a backup, its replica. */
    values: z.record(z.string(), z.number().int()),
    /** On the primary: the backups that said hello, to replicate to and answer. */
    backups: z.array(nodeRefSchema),
    /** On a backup: the next forward's id. Journaled, so ids are never reused after a restart. */
    nextId: z.number().int().nonnegative(),
  }),
  requests: registerRequests,
};
type State = z.output<typeof schemas.state>;
type RegisterReplyOf = ReplyOf<typeof schemas>;

class RegisterNode extends Node<typeof schemas> {
  protected state: State = { values: {}, backups: [], nextId: 0 };
  /**
   * On a backup: the clients waiting for the primary's answer, by forward id. In memory on purpose:
   * a crash loses them, as it loses the client's connection — the client's call then fails
   * (MachineDownError or a timeout), and the history records the operation as unknown (`info`).
   */
  private readonly pending = new Map<number, Reply<typeof schemas>>();

  private get isPrimary(): boolean {
    return this.config.primary === undefined;
  }

  override initialize(): void {
    this.resume();
    // Introduce ourselves: the primary learns where to replicate, and answers with the whole register.
    if (this.config.primary) this.send(this.config.primary.handle, hello(this.ref()));
  }

  protected override resume(): void {
    // Transports are not journaled with the state: name every peer to the machine again.
    if (this.config.primary) this.connect(this.config.primary);
    for (const ref of this.state.backups) this.connect(ref);
  }

  receive(message: RegisterMessage, fromId: string): void {
    switch (message.type) {
      case 'hello':
        return this.addBackup(message.from);
      case 'sync':
        this.state.values = { ...message.values };
        return;
      case 'update':
        this.state.values[message.key] = message.value;
        return;
      case 'forward': {
        const backup = this.backup(fromId);
        // Links are FIFO and a backup's hello is its first message, so its forwards always find it.
        if (!backup) return this.logger.warn({ from: fromId }, 'forward from a node that never said hello; dropped');
        this.send(backup, { type: 'result', id: message.id, reply: this.apply(message.operation) });
        return;
      }
      case 'result': {
        const reply = this.pending.get(message.id);
        // None after a crash of this backup: the client that asked is gone (its call failed).
        if (!reply) return;
        this.pending.delete(message.id);
        // The primary answered the very request forwarded, so the reply fits it (the framework checks it against the request's schema).
        reply(message.reply);
        return;
      }
    }
  }

  override answer(request: RequestOf<typeof schemas>, reply: Reply<typeof schemas>): RegisterReplyOf | void {
    if (this.isPrimary) return this.apply(request);
    // The bug: the replica may lag the primary by any number of updates.
    if (request.type === 'read' && this.config.staleReads) return { value: this.state.values[request.key] ?? null };
    const id = this.state.nextId++;
    this.pending.set(id, reply);
    this.send(this.config.primary!.handle, { type: 'forward', id, operation: request });
  }

  /**
   * The primary's step for one operation: apply it, and hand every change to every backup's link in
   * the same step. The framework journals the state before the reply or the updates leave, so an
   * answered write is never lost, and backups see changes in the primary's order.
   */
  private apply(operation: RegisterOperation): RegisterReply {
    const current = this.state.values[operation.key] ?? null;
    switch (operation.type) {
      case 'read':
        return { value: current };
      case 'write':
        this.set(operation.key, operation.value);
        return {};
      case 'cas':
        if (current !== operation.from) return { ok: false };
        this.set(operation.key, operation.to);
        return { ok: true };
    }
  }

  private set(key: string, value: number): void {
    this.state.values[key] = value;
    for (const { handle } of this.state.backups) this.send(handle, { type: 'update', key, value });
  }

  /** Idempotent; the sync goes first on the link, so every later update lands on top of it. */
  private addBackup(ref: NodeRef): void {
    if (!this.backup(ref.handle.id)) {
      this.connect(ref);
      this.state.backups.push(ref);
    }
    this.send(ref.handle, { type: 'sync', values: { ...this.state.values } });
  }

  private backup(id: string): NodeHandle | undefined {
    return this.state.backups.find((ref) => ref.handle.id === id)?.handle;
  }
}

export const registerNode = defineNode('register', schemas, RegisterNode);
