/**
 * The broadcast node (Maelstrom's broadcast workload, Gossip Glomers 3a-3e): every value any node is
 * asked to broadcast must end up at every node, over a sparse topology of neighbours.
 *
 * Each neighbour's link is reliable and ordered (the framework retransmits until acknowledged, across
 * drops and partitions), so a value handed to a neighbour's link once will reach it. What a neighbour
 * may lack is therefore exactly what this node has neither sent it nor got from it; a timer sends that,
 * batched, every `gossipMs` while there is any. No perpetual timer: an idle system goes quiet.
 */
import { Node, defineNode, nodeRefSchema, z, type NodeHandle, type NodeRef, type ReplyOf, type RequestOf } from 'distzero';
import { answerBroadcast, broadcastMessage, broadcastRequests, gossip, hello, type BroadcastMessage } from './messages.ts';

const schemas = {
  config: z.object({
    /** Neighbours known at spawn (a node that joins later names some existing nodes); more may come by `topology` or `hello`. */
    neighbours: z.array(nodeRefSchema).default([]),
    gossipMs: z.number().nonnegative().default(50),
  }),
  messages: broadcastMessage,
  state: z.object({
    /** Every value this node has, in the order it got them. */
    values: z.array(z.number().int()),
    neighbours: z.array(nodeRefSchema),
    /** By neighbour id: the values it surely has (sent to it, or got from it). */
    known: z.record(z.string(), z.array(z.number().int())),
    /** Messages sent to other nodes so far. */
    sent: z.number().int(),
  }),
  requests: broadcastRequests,
};
type State = z.output<typeof schemas.state>;

class BroadcastNode extends Node<typeof schemas> {
  protected state: State = { values: [], neighbours: [], known: {}, sent: 0 };
  /** Sets over the journaled arrays, rebuilt after a restart (the journal holds plain JSON). */
  private have = new Set<number>();
  private knownBy = new Map<string, Set<number>>();
  private gossipScheduled = false;

  override initialize(): void {
    for (const ref of this.config.neighbours) this.addNeighbour(ref, true);
  }

  protected override resume(): void {
    this.have = new Set(this.state.values);
    this.knownBy = new Map(Object.entries(this.state.known).map(([id, values]) => [id, new Set(values)]));
    for (const ref of this.state.neighbours) this.connect(ref);
    // Whatever was due but not yet sent when the machine went down.
    this.scheduleGossip();
  }

  receive(message: BroadcastMessage, fromId: string): void {
    switch (message.type) {
      case 'gossip':
        for (const value of message.values) {
          this.markKnown(fromId, value);
          this.add(value);
        }
        return;
      case 'hello':
        return this.addNeighbour(message.from, false);
      case 'topology':
        for (const ref of message.neighbours) this.addNeighbour(ref, true);
        return;
    }
  }

  override answer(request: RequestOf<typeof schemas>): ReplyOf<typeof schemas> {
    return answerBroadcast(request, this.state, (value) => this.add(value));
  }

  /** A new value: keep it and let the next gossip round pass it on. */
  private add(value: number): void {
    if (this.have.has(value)) return;
    this.have.add(value);
    this.state.values.push(value);
    this.scheduleGossip();
  }

  /** Idempotent: the test's topology and a neighbour's hello may both name the same link. */
  private addNeighbour(ref: NodeRef, introduce: boolean): void {
    const id = ref.handle.id;
    if (id === this.id || this.knownBy.has(id)) return;
    this.connect(ref);
    this.state.neighbours.push(ref);
    this.state.known[id] = [];
    this.knownBy.set(id, new Set());
    // The other end learns of the link from us; what it lacks of ours goes with the next round.
    if (introduce) this.sendCounted(ref.handle, hello(this.ref()));
    this.scheduleGossip();
  }

  private markKnown(id: string, value: number): void {
    const known = this.knownBy.get(id);
    if (!known || known.has(value)) return;
    known.add(value);
    this.state.known[id]!.push(value);
  }

  private scheduleGossip(): void {
    if (this.gossipScheduled) return;
    this.gossipScheduled = true;
    this.setTimer(this.config.gossipMs, () => this.gossipRound());
  }

  /** Send each neighbour, in one message, every value it may lack. */
  private gossipRound(): void {
    this.gossipScheduled = false;
    for (const { handle } of this.state.neighbours) {
      const known = this.knownBy.get(handle.id)!;
      const lacking = this.state.values.filter((value) => !known.has(value));
      if (lacking.length === 0) continue;
      for (const value of lacking) this.markKnown(handle.id, value);
      this.sendCounted(handle, gossip(lacking));
    }
  }

  private sendCounted(to: NodeHandle, message: BroadcastMessage): void {
    this.state.sent++;
    this.send(to, message);
  }
}

export const broadcastNode = defineNode('broadcast', schemas, BroadcastNode);
