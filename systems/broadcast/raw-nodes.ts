/**
 * The broadcast node over the raw channel (`broadcast.raw`): the same workload and requests as the
 * reliable `broadcast`, but every message is a datagram (`sendRaw`) that the network may drop,
 * duplicate or reorder, and nothing below resends it. So the node brings its own retries, as a
 * Maelstrom node must:
 *
 * - per neighbour it keeps the values that neighbour may lack: neither acknowledged by it nor got
 *   from it. Every `gossipMs`, while any are kept, it sends each neighbour all of its own, batched;
 * - a gossip is answered with an `ack` naming the values it carried (every copy, duplicates too: the
 *   first ack may have been the one lost); an ack, or the values themselves, retire them;
 * - a hello is repeated the same way until the neighbour says anything back (it answers a hello
 *   with an empty ack).
 *
 * Values are sets, so duplicates and reordering are harmless. `retries: false` sends each value
 * (and each hello) once and forgets it: a test switch that shows what the retries are for. While
 * a neighbour stays unreachable its values keep going out every round: retries have no end but
 * the acknowledgement.
 */
import { Node, defineNode, nodeRefSchema, z, type NodeHandle, type NodeRef, type ReplyOf, type RequestOf } from 'distzero';
import { answerBroadcast, broadcastRequests, rawBroadcastMessage, type RawBroadcastMessage } from './messages.ts';

const values = z.array(z.number().int());

const schemas = {
  config: z.object({
    /** Neighbours known at spawn (a node that joins later names some existing nodes); more may come by `topology` or `hello`. */
    neighbours: z.array(nodeRefSchema).default([]),
    /** How long new values wait to be batched, and how often what is unacknowledged goes out again. */
    gossipMs: z.number().positive().default(50),
    /** Resend until acknowledged. Off: every value and hello goes out once (test switch). */
    retries: z.boolean().default(true),
  }),
  messages: rawBroadcastMessage,
  state: z.object({
    /** Every value this node has, in the order it got them. */
    values,
    neighbours: z.array(nodeRefSchema),
    /** By neighbour id: the values it may lack (neither acknowledged by it nor got from it), sent or not yet. */
    unacked: z.record(z.string(), values),
    /** Neighbours this node introduced itself to and has heard nothing from since: the hello goes again. */
    unanswered: z.array(z.string()),
    /** Messages sent to other nodes so far (gossip, ack, hello). */
    sent: z.number().int(),
  }),
  requests: broadcastRequests,
};
type State = z.output<typeof schemas.state>;

class RawBroadcastNode extends Node<typeof schemas> {
  protected state: State = { values: [], neighbours: [], unacked: {}, unanswered: [], sent: 0 };
  /** Over the journaled values, rebuilt after a restart (the journal holds plain JSON). */
  private have = new Set<number>();
  private roundScheduled = false;

  override initialize(): void {
    for (const ref of this.config.neighbours) this.addNeighbour(ref, true);
  }

  protected override resume(): void {
    this.have = new Set(this.state.values);
    for (const ref of this.state.neighbours) this.connect(ref);
    // The retry timer is not journaled: what the state still owes re-arms it.
    if (this.owesAnything()) this.scheduleRound();
  }

  receive(message: RawBroadcastMessage, fromId: string): void {
    switch (message.type) {
      case 'gossip':
        // From a node we cannot reach (its hello has not landed): no ack is possible, so no
        // record either; with retries its gossip comes again.
        if (!this.isNeighbour(fromId)) return;
        this.heardFrom(fromId);
        for (const value of message.values) this.add(value);
        // After add(), which owes each new value to every neighbour: the sender has it already.
        this.retire(fromId, message.values);
        return this.sendCounted(fromId, { type: 'ack', values: message.values });
      case 'ack':
        if (!this.isNeighbour(fromId)) return;
        this.heardFrom(fromId);
        return this.retire(fromId, message.values);
      case 'hello':
        this.addNeighbour(message.from, false);
        this.heardFrom(message.from.handle.id);
        // Answer every copy: the sender repeats its hello until something comes back.
        return this.sendCounted(message.from.handle.id, { type: 'ack', values: [] });
      case 'topology':
        for (const ref of message.neighbours) this.addNeighbour(ref, true);
        return;
    }
  }

  override answer(request: RequestOf<typeof schemas>): ReplyOf<typeof schemas> {
    return answerBroadcast(request, this.state, (value) => this.add(value));
  }

  /** A new value: keep it, and owe it to every neighbour (retire() drops the one it came from). */
  private add(value: number): void {
    if (this.have.has(value)) return;
    this.have.add(value);
    this.state.values.push(value);
    for (const id in this.state.unacked) this.state.unacked[id]!.push(value);
    this.scheduleRound();
  }

  /** `id` has these values (it acknowledged them, or sent them): stop sending them to it. */
  private retire(id: string, retired: readonly number[]): void {
    const owed = this.state.unacked[id];
    if (!owed || owed.length === 0 || retired.length === 0) return;
    const done = new Set(retired);
    this.state.unacked[id] = owed.filter((value) => !done.has(value));
  }

  private heardFrom(id: string): void {
    const at = this.state.unanswered.indexOf(id);
    if (at >= 0) this.state.unanswered.splice(at, 1);
  }

  /** Idempotent: the test's topology and a neighbour's hello may both name the same link. */
  private addNeighbour(ref: NodeRef, introduce: boolean): void {
    const id = ref.handle.id;
    if (id === this.id || this.isNeighbour(id)) return;
    this.connect(ref);
    this.state.neighbours.push(ref);
    // A new neighbour may lack everything this node has.
    this.state.unacked[id] = [...this.state.values];
    if (introduce) {
      this.sendCounted(id, { type: 'hello', from: this.ref() });
      if (this.config.retries) this.state.unanswered.push(id);
    }
    this.scheduleRound();
  }

  private isNeighbour(id: string): boolean {
    return id in this.state.unacked;
  }

  private owesAnything(): boolean {
    return this.state.unanswered.length > 0 || Object.values(this.state.unacked).some((owed) => owed.length > 0);
  }

  private scheduleRound(): void {
    if (this.roundScheduled) return;
    this.roundScheduled = true;
    this.setTimer(this.config.gossipMs, () => this.round());
  }

  /** Send each neighbour everything it may lack, and repeat unanswered hellos; again next round while anything is owed. */
  private round(): void {
    this.roundScheduled = false;
    for (const id of this.state.unanswered) this.sendCounted(id, { type: 'hello', from: this.ref() });
    for (const id in this.state.unacked) {
      const owed = this.state.unacked[id]!;
      if (owed.length === 0) continue;
      // A copy: the owed list changes after this, the datagram must not (in simulation it is shared).
      this.sendCounted(id, { type: 'gossip', values: [...owed] });
      // Without retries a value is sent once and forgotten, acknowledged or not.
      if (!this.config.retries) this.state.unacked[id] = [];
    }
    if (this.config.retries && this.owesAnything()) this.scheduleRound();
  }

  private sendCounted(to: string, message: RawBroadcastMessage): void {
    this.state.sent++;
    this.sendRaw(this.handleOf(to), message);
  }

  private handleOf(id: string): NodeHandle {
    const ref = this.state.neighbours.find((n) => n.handle.id === id);
    if (!ref) throw new Error(`broadcast.raw node ${this.name}: ${id} is not a neighbour`);
    return ref.handle;
  }
}

export const rawBroadcastNode = defineNode('broadcast.raw', schemas, RawBroadcastNode);
