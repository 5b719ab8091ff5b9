/**
 * The register node: a replicated key-value register that stays linearizable under partitions,
 * loss and crashes. The protocol is Viewstamped Replication (Oki & Liskov; Liskov & Cowling's
 * "revisited") cut down to a register: whole-register state transfer instead of a log.
 *
 * - **Views.** Time is cut into numbered views; the leader of view v is `members[v mod n]`. Each
 *   node journals the highest view it has promised, and refuses anything from an older one.
 * - **Normal operation.** The leader takes client operations one at a time: it applies one to its
 *   register, stamps the result (view, seq+1), sends the whole register to every follower
 *   (`accept`), and answers the client once a majority (itself included) holds it. Reads take a round
 *   too: a majority still in the leader's view proves no later view has taken over, so the read is
 *   not stale. Nodes that are not the leader forward their clients' requests to it.
 * - **View change.** A follower that hears nothing from its leader for `electionMs` moves to the
 *   next view and says so (`view_change`); every node that follows sends the new leader its register
 *   and the (view, seq) it was accepted in (`do_view_change`). With a majority of these the new
 *   leader takes the most recent, and starts the view by sending it to all (`accept` with seq 0).
 *   Any operation a client was told about was held by a majority, and any two majorities meet, so
 *   the most recent of a majority's registers includes it.
 * - **Crashes.** Everything above is journaled by the framework before any message leaves the step;
 *   a restarted node goes on from its journal. Clients waiting on it are gone with its process.
 *
 * Outcomes a client sees: the reply; `not_leader` (never applied: a definite failure); `unknown`
 * (the leader was deposed mid-round: maybe applied); or no answer (a timeout, a crash: maybe applied).
 *
 * The planted bug, `staleReads: true`: a leader answers reads from its own register without a round,
 * trusting that it is still the leader. A leader cut off from the majority goes on answering while
 * the others elect a new leader and accept new writes: its reads are stale.
 */
import { Node, defineNode, nodeRefSchema, z, type NodeHandle, type Reply, type RequestOf } from 'distzero';
import { registerMessage, registerRequests, type RegisterMessage, type RegisterOperation, type RegisterReply } from './messages.ts';

const schemas = {
  config: z.object({
    /** How often a leader says it is alive when it has nothing else to send. */
    heartbeatMs: z.number().positive().default(50),
    /** Silence from the leader after which a follower starts the next view. */
    electionMs: z.number().positive().default(300),
    /** The planted bug: a leader serves reads from its own register, without a round. */
    staleReads: z.boolean().default(false),
  }),
  messages: registerMessage,
  state: z.object({
    /** The cluster, in order; empty until the test's `cluster` message. */
    members: z.array(nodeRefSchema),
    /** The highest view this node has promised. */
    view: z.number().int().nonnegative(),
    /** `normal` once the view's leader has started it; `change` while a view change is under way. */
    status: z.enum(['normal', 'change']),
    /** The register, and the (view, seq) it was accepted in. */
    values: z.record(z.string(), z.number().int()),
    acceptedView: z.number().int().nonnegative(),
    seq: z.number().int().nonnegative(),
    /** The next forward's id. Journaled, so ids are never reused after a restart. */
    nextId: z.number().int().nonnegative(),
  }),
  requests: registerRequests,
};
type State = z.output<typeof schemas.state>;
type Values = State['values'];

/** An operation the leader has taken from a client, answered through `reply`. */
interface Job {
  operation: RegisterOperation;
  reply: (reply: RegisterReply) => void;
}

/** The operation being replicated: answered when a majority holds (view, seq). */
interface Round extends Job {
  seq: number;
  result: RegisterReply;
  holders: Set<string>;
}

/** What a node told the would-be leader of a view: its register, stamped. */
interface Offer {
  acceptedView: number;
  seq: number;
  values: Values;
}

class RegisterNode extends Node<typeof schemas> {
  protected state: State = { members: [], view: 0, status: 'normal', values: {}, acceptedView: 0, seq: 0, nextId: 0 };
  // In memory on purpose: a crash loses them, as it loses the clients' connections (their calls fail).
  private readonly waiting = new Map<number, (reply: RegisterReply) => void>();
  private readonly queue: Job[] = [];
  private round: Round | undefined;
  private offers = new Map<string, Offer>();
  private lastHeard = 0;

  override initialize(): void {
    this.resume();
  }

  protected override resume(): void {
    // Transports are not journaled with the state: name every peer to the machine again.
    for (const ref of this.state.members) if (ref.handle.id !== this.id) this.connect(ref);
    this.lastHeard = this.now();
    this.tick();
  }

  receive(message: RegisterMessage, fromId: string): void {
    switch (message.type) {
      case 'cluster':
        if (this.state.members.length > 0) return;
        this.state.members = message.members;
        for (const ref of message.members) if (ref.handle.id !== this.id) this.connect(ref);
        this.lastHeard = this.now();
        return;
      case 'view_change':
        if (message.view > this.state.view) this.enterView(message.view);
        else if (message.view < this.state.view) this.sendTo(fromId, { type: 'view_change', view: this.state.view });
        return;
      case 'do_view_change':
        if (message.view > this.state.view) this.enterView(message.view);
        if (message.view === this.state.view && this.state.status === 'change' && this.isLeaderOf(message.view)) {
          this.offer(fromId, message);
        }
        return;
      case 'accept':
        if (!this.fromCurrentLeader(message.view, fromId)) return;
        // Stamps only grow within a view (links are FIFO, but a resend may still come late).
        if (message.view > this.state.acceptedView || message.seq > this.state.seq) {
          this.state.values = message.values;
          this.state.acceptedView = message.view;
          this.state.seq = message.seq;
        }
        this.sendTo(fromId, { type: 'accepted', view: message.view, seq: message.seq });
        return;
      case 'beat':
        this.fromCurrentLeader(message.view, fromId);
        return;
      case 'accepted':
        if (message.view !== this.state.view || !this.round || message.seq !== this.round.seq) return;
        this.round.holders.add(fromId);
        if (this.round.holders.size >= this.majority) this.commit();
        return;
      case 'forward': {
        const reply = (answer: RegisterReply) => this.sendTo(fromId, { type: 'result', id: message.id, reply: answer });
        if (this.isActiveLeader) this.take({ operation: message.operation, reply });
        else reply({ error: 'not_leader' });
        return;
      }
      case 'result': {
        const reply = this.waiting.get(message.id);
        // None after a crash of this node: the client that asked is gone (its call failed).
        if (!reply) return;
        this.waiting.delete(message.id);
        reply(message.reply);
        return;
      }
    }
  }

  override answer(request: RequestOf<typeof schemas>, reply: Reply<typeof schemas>): RegisterReply | void {
    if (this.isActiveLeader) {
      // The bug: the cluster may have moved on to a later view without this node.
      if (request.type === 'read' && this.config.staleReads) return { value: this.state.values[request.key] ?? null };
      return this.take({ operation: request, reply });
    }
    const leader = this.state.status === 'normal' ? this.leaderOf(this.state.view) : undefined;
    if (!leader) return { error: 'not_leader' };
    const id = this.state.nextId++;
    this.waiting.set(id, reply);
    this.send(leader, { type: 'forward', id, operation: request });
  }

  // --- The leader ------------------------------------------------------------------------------

  private take(job: Job): void {
    this.queue.push(job);
    if (!this.round) this.next();
  }

  /** Start the next queued operation's round: apply it, stamp the register, send it to all. */
  private next(): void {
    const job = this.queue.shift();
    if (!job) return;
    const result = this.apply(job.operation);
    this.state.seq += 1;
    this.state.acceptedView = this.state.view;
    this.round = { ...job, seq: this.state.seq, result, holders: new Set([this.id]) };
    this.broadcast({ type: 'accept', view: this.state.view, seq: this.state.seq, values: this.state.values });
    if (this.round.holders.size >= this.majority) this.commit();
  }

  private commit(): void {
    const round = this.round!;
    this.round = undefined;
    round.reply(round.result);
    this.next();
  }

  private apply(operation: RegisterOperation): RegisterReply {
    const values = this.state.values;
    const current = values[operation.key] ?? null;
    switch (operation.type) {
      case 'read':
        return { value: current };
      case 'write':
        this.state.values = { ...values, [operation.key]: operation.value };
        return { written: true };
      case 'cas':
        if (current !== operation.from) return { ok: false };
        this.state.values = { ...values, [operation.key]: operation.to };
        return { ok: true };
    }
  }

  // --- Views -----------------------------------------------------------------------------------

  /** Promise `view`: stop leading or following the old one, and offer our register to its leader. */
  private enterView(view: number): void {
    this.abandonLeadership();
    this.state.view = view;
    this.state.status = 'change';
    this.offers = new Map();
    this.lastHeard = this.now();
    this.broadcast({ type: 'view_change', view });
    const offer = { type: 'do_view_change', view, acceptedView: this.state.acceptedView, seq: this.state.seq, values: this.state.values } as const;
    if (this.isLeaderOf(view)) this.offer(this.id, offer);
    else this.send(this.leaderOf(view)!, offer);
  }

  /** As the would-be leader: with a majority of offers, start the view from the most recent register. */
  private offer(from: string, offer: Offer): void {
    this.offers.set(from, offer);
    if (this.offers.size < this.majority) return;
    let best = offer;
    for (const o of this.offers.values()) if (o.acceptedView > best.acceptedView || (o.acceptedView === best.acceptedView && o.seq > best.seq)) best = o;
    this.offers = new Map();
    this.state.values = best.values;
    this.state.acceptedView = this.state.view;
    this.state.seq = 0;
    this.state.status = 'normal';
    this.logger.info({ view: this.state.view }, 'leading a new view');
    this.broadcast({ type: 'accept', view: this.state.view, seq: 0, values: this.state.values });
  }

  /**
   * A message from a view's leader. From an older view: tell the sender it is deposed. From the
   * current or a later view: that leader has started its view, so follow it.
   */
  private fromCurrentLeader(view: number, fromId: string): boolean {
    if (view < this.state.view) {
      this.sendTo(fromId, { type: 'view_change', view: this.state.view });
      return false;
    }
    if (view > this.state.view) this.abandonLeadership();
    this.state.view = view;
    this.state.status = 'normal';
    this.lastHeard = this.now();
    return true;
  }

  /** Deposed: queued operations were never applied; the one being replicated may yet be. */
  private abandonLeadership(): void {
    if (this.round) this.round.reply({ error: 'unknown' });
    this.round = undefined;
    for (const job of this.queue.splice(0)) job.reply({ error: 'not_leader' });
  }

  /** Every `heartbeatMs`: a leader beats; a follower that heard nothing for `electionMs` moves on. */
  private tick(): void {
    if (this.state.members.length > 0) {
      if (this.isActiveLeader) this.broadcast({ type: 'beat', view: this.state.view });
      else if (this.now() - this.lastHeard >= this.config.electionMs) this.enterView(this.state.view + 1);
    }
    this.setTimer(this.config.heartbeatMs, () => this.tick());
  }

  private get isActiveLeader(): boolean {
    return this.state.status === 'normal' && this.isLeaderOf(this.state.view);
  }

  private get majority(): number {
    return Math.floor(this.state.members.length / 2) + 1;
  }

  private leaderOf(view: number): NodeHandle | undefined {
    const members = this.state.members;
    return members.length === 0 ? undefined : members[view % members.length]!.handle;
  }

  private isLeaderOf(view: number): boolean {
    return this.leaderOf(view)?.id === this.id;
  }

  private broadcast(message: RegisterMessage): void {
    for (const { handle } of this.state.members) if (handle.id !== this.id) this.send(handle, message);
  }

  private sendTo(id: string, message: RegisterMessage): void {
    const peer = this.state.members.find((ref) => ref.handle.id === id);
    if (peer && id !== this.id) this.send(peer.handle, message);
  }
}

export const registerNode = defineNode('register', schemas, RegisterNode);
