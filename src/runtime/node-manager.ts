/**
 * The one implementation of MachineController: hosts a machine's nodes, routes their messages over
 * reliable links (or, when a node asks, as raw datagrams), and answers the test's API requests. It
 * does no I/O and keeps no clock of its own; a runner drives it with packets, API requests and the
 * MachineHost's timers. Every body that crosses a node's boundary is checked against the node
 * kind's schema here, in every mode.
 */
import type { z } from 'zod';
import type { Logger } from '../logging.ts';
import type { Address, ApiRequest, ApiResponse, Body, NodeHandle, Packet, RawPacket, Transport } from '../messages/index.ts';
import { compiledCheck } from '../messages/compiled-check.ts';
import { bodyError, checkBody, requestBodySchema, requestSchemas, type BodyOwner, type NodeKind, type Registry } from '../nodes/kinds.ts';
import type { Node } from '../nodes/node.ts';
import { InvalidRequestError, NoTransportError, ReplyError, UnknownNodeError, describeError } from './errors.ts';
import { ReliableLinks, type LinkStats, type LinkTiming, type LinksSnapshot, defaultLinkTiming } from './links.ts';
import type { Cancel, MachineController } from './machine-controller.ts';
import type { MachineHost } from './machine-host.ts';

export interface MachineSnapshot {
  incarnation: string;
  nodes: { kind: string; id: string; name: string; config: unknown; state: unknown }[];
  transports: [string, Transport][];
  links: LinksSnapshot;
}

/** What went over the raw channel (nodes' datagrams outside the reliable links), on one machine. */
export interface RawStats {
  sent: number;
  /** Copies handed to a node here (a rejected body counts: it arrived, and was refused). */
  delivered: number;
  /** Copies for a node that does not run here (not yet, or no longer): dropped. */
  toUnknownNode: number;
}

/** The sender id used for messages the test injects with send_to_node. */
export const SYSTEM_SENDER = 'system';

export interface NodeManagerOptions {
  /**
   * Check every arriving message against its receiver's kind. A real machine must (its packets come
   * off a wire); the simulator delivers the very object its sender's machine already checked.
   */
  checkArrivals: boolean;
  timing?: LinkTiming;
}

/** A node and its kind's definition, as the API paths look them up (kept apart: an object per node costs idle bytes). */
interface Hosted {
  node: Node;
  kind: NodeKind;
}

/** A call a node is answering: whether it has, and how to. */
interface NodeCall {
  readonly node: Node;
  readonly type: string;
  readonly replySchema: z.ZodType;
  readonly respond: (response: ApiResponse) => void;
  answered: boolean;
}

export class NodeManager implements MachineController {
  /**
   * The nodes here. Most machines run one node, and a Map's table costs several times what its node
   * does on an idle machine: the first node has a slot of its own, the others a Map.
   */
  private firstNode: Node | undefined;
  private moreNodes: Map<string, Node> | undefined;
  /** Made on first use: an idle machine should cost bytes, not maps. */
  private transports: Map<string, Transport> | undefined;
  /** Made on first use (see `links`), as is `rawStats`: an idle machine should cost bytes, not links. */
  private ownLinks: ReliableLinks | undefined;
  private ownRawStats: RawStats | undefined;

  constructor(
    readonly machineId: string,
    readonly machineName: string,
    private readonly host: MachineHost,
    private readonly registry: Registry,
    private readonly options: NodeManagerOptions,
  ) {
  }

  get links(): ReliableLinks {
    return (this.ownLinks ??= new ReliableLinks(this.host, (from, to, message) => this.deliver(from, to, message), this.options.timing ?? defaultLinkTiming));
  }

  /** The links' counters, or undefined while this machine has none. */
  get linkStats(): Readonly<LinkStats> | undefined {
    return this.ownLinks?.stats;
  }

  get rawStats(): RawStats {
    return (this.ownRawStats ??= { sent: 0, delivered: 0, toUnknownNode: 0 });
  }

  /** The raw channel's counters, or undefined while nothing went over it. */
  get rawStatsIfAny(): Readonly<RawStats> | undefined {
    return this.ownRawStats;
  }

  // --- MachineController: what nodes see -------------------------------------------------------

  get logger(): Logger {
    return this.host.logger;
  }

  now(): number {
    return this.host.now();
  }

  send(fromNodeId: string, to: NodeHandle, message: Body): void {
    const address = this.addressOf(fromNodeId, to);
    this.links.send(fromNodeId, to.id, address, this.checked(to, message));
  }

  sendRaw(fromNodeId: string, to: NodeHandle, message: Body): void {
    const address = this.addressOf(fromNodeId, to);
    const packet: RawPacket = { type: 'raw', from: fromNodeId, to: to.id, message: this.checked(to, message) };
    this.rawStats.sent++;
    this.host.transmit(address, packet);
  }

  private addressOf(fromNodeId: string, to: NodeHandle): Address {
    const transport = this.transports?.get(to.id);
    if (!transport) throw new NoTransportError({ fromNodeId, toNodeId: to.id });
    return transport.address;
  }

  /**
   * The body that leaves, checked once per send at the sender (both channels): a bad message fails
   * the node that wrote it, at once. The hot path: the compiled check allocates nothing; zod runs
   * only for what it cannot pass unchanged.
   */
  private checked(to: NodeHandle, message: Body): Body {
    const schema = this.registry.kind(to.kind).schemas.messages;
    if (compiledCheck(schema)(message)) return message;
    const parsed = schema.safeParse(message);
    if (!parsed.success) throw bodyError(parsed.error, { name: to.id, kind: to.kind }, 'message', message.type);
    return parsed.data;
  }

  setTransport(to: NodeHandle, transport: Transport): void {
    (this.transports ??= new Map()).set(to.id, transport);
  }

  transportFor(_nodeId: string): Transport {
    return { machineId: this.machineId, address: this.host.address };
  }

  setTimer(delayMs: number, fn: () => void, nodeId = '?'): Cancel {
    return this.host.schedule(delayMs, () => this.guard('timer', nodeId, fn));
  }

  // --- What a runner calls --------------------------------------------------------------------

  /** A packet off the wire, already authenticated and its envelope validated by the runner. */
  receivePacket(packet: Packet): void {
    switch (packet.type) {
      case 'data':
        return this.links.onData(packet);
      case 'ack':
        return this.links.onAck(packet);
      case 'raw':
        return this.receiveRaw(packet);
      default:
        return packet satisfies never;
    }
  }

  /**
   * Every copy is delivered: duplicates twice, in the order they arrive. No link holds it back, so a
   * datagram for a node that does not run here (yet) has nowhere to wait: it is dropped, as a
   * datagram to a closed port is, and counted.
   */
  private receiveRaw(packet: RawPacket): void {
    if (this.deliver(packet.from, packet.to, packet.message)) {
      this.rawStats.delivered++;
      return;
    }
    this.rawStats.toUnknownNode++;
    this.logger.warn({ node_id: packet.to, from: packet.from, type: packet.message.type }, 'raw packet for a node not on this machine; dropped');
  }

  /**
   * Answer one API request. `respond` is called exactly once: at once for most requests, later for
   * a call a node answers later. Failures become `{ ok: false, error }`; this never throws.
   */
  handleApi(request: ApiRequest, respond: (response: ApiResponse) => void): void {
    try {
      if (request.type === 'call_node') return this.call(request.nodeId, request.request, respond);
      respond({ ok: true, result: this.apply(request) });
    } catch (error) {
      this.logger.warn({ request: request.type, err: describeError(error) }, 'api request failed');
      respond({ ok: false, error: describeError(error) });
    }
  }

  /** Everything this machine must remember across a crash: nodes, transports, links. */
  snapshot(): MachineSnapshot {
    return {
      incarnation: this.host.incarnation,
      nodes: this.allNodes().map((node) => ({ kind: node.kind, id: node.id, name: node.name, config: node.config, state: node.snapshot() })),
      transports: [...(this.transports ?? [])],
      links: this.ownLinks?.snapshot() ?? { outgoing: [], incoming: [] },
    };
  }

  /** Take back a journaled machine (before anything else happens on it); each state is checked by its kind. */
  restore(snapshot: MachineSnapshot): void {
    for (const [id, transport] of snapshot.transports) (this.transports ??= new Map()).set(id, transport);
    this.links.restore(snapshot.links);
    for (const saved of snapshot.nodes) {
      this.guard('restore', saved.id, () => {
        const hosted = this.create(saved.kind, saved.id, saved.name, saved.config);
        hosted.node.restore(checkBody(hosted.kind.schemas.state, saved.state, hosted.node, 'state'));
      });
    }
    this.logger.info({ nodes: snapshot.nodes.length }, 'machine restored from its journal');
  }

  /** Stop everything this machine has scheduled. */
  close(): void {
    this.ownLinks?.close();
  }

  private apply(request: Exclude<ApiRequest, { type: 'call_node' }>): unknown {
    switch (request.type) {
      case 'ping':
        return { machineId: this.machineId, transport: this.transportFor('') };
      case 'start_node':
        return this.startNode(request.kind, request.id, request.name, request.config);
      case 'send_to_node': {
        const { node, kind } = this.hosted(request.nodeId);
        const message = checkBody(kind.schemas.messages, request.message, node, 'message', request.message.type);
        this.guard('send_to_node', node.id, () => node.receive(message, SYSTEM_SENDER));
        return {};
      }
      case 'set_clock':
        this.host.setClock(request.offsetMs, request.rate);
        this.logger.info({ offset_ms: request.offsetMs, rate: request.rate }, 'clock skewed');
        return { now: this.host.now() };
      default:
        // Network faults live in a real machine's packet path: its runner answers them, not its nodes.
        throw new InvalidRequestError({ reason: 'not_here', detail: `${request.type} is answered by a real machine's runner` });
    }
  }

  private call(nodeId: string, body: Body, respond: (response: ApiResponse) => void): void {
    const { node, kind } = this.hosted(nodeId);
    const schemas = requestSchemas(kind, body, node);
    const request = checkBody(requestBodySchema(schemas), body, node, 'request', body.type);
    const call: NodeCall = { node, type: body.type, replySchema: schemas.reply, respond, answered: false };
    let returned: unknown;
    try {
      // The reply function is the node's to keep (it may answer later); one plain closure per call.
      returned = node.answer(request as never, (value: unknown) => this.reply(call, value));
    } catch (error) {
      this.host.nodeFailed(error, { nodeId, during: `request ${body.type}` });
      if (!call.answered) {
        call.answered = true;
        const thrown = describeError(error);
        respond({ ok: false, error: describeError(new ReplyError({ node: node.name, kind: node.kind, request: body.type, problem: `${thrown.name}: ${thrown.message}` })) });
      }
      return;
    }
    if (returned !== undefined) this.reply(call, returned);
  }

  /** A node's answer to a call: at most once, checked against its kind's reply schema. */
  private reply(call: NodeCall, value: unknown): void {
    const { node } = call;
    if (call.answered) {
      this.host.nodeFailed(new ReplyError({ node: node.name, kind: node.kind, request: call.type, problem: 'it replied twice' }), { nodeId: node.id, during: `reply to ${call.type}` });
      return;
    }
    call.answered = true;
    try {
      call.respond({ ok: true, result: checkBody(call.replySchema, value, node, 'reply', call.type) });
    } catch (error) {
      call.respond({ ok: false, error: describeError(error) });
    }
  }

  private create(kindName: string, id: string, name: string, config: unknown): Hosted {
    const kind = this.registry.kind(kindName);
    const checked = checkBody(kind.schemas.config, config, { name, kind: kindName }, 'config');
    const node = kind.create({ id, name, kind: kindName, config: checked, controller: this });
    if (this.firstNode === undefined) this.firstNode = node;
    else (this.moreNodes ??= new Map()).set(node.id, node);
    return { node, kind };
  }

  private startNode(kind: string, id: string, name: string, config: unknown): NodeHandle {
    if (this.node(id)) throw new Error(`node ${id} already runs on machine ${this.machineName}`);
    const { node } = this.create(kind, id, name, config);
    try {
      node.initialize();
    } catch (error) {
      this.removeNode(id);
      throw error;
    }
    this.logger.info({ node_id: id, kind, node_name: name }, 'node started');
    return node.handle;
  }

  private hosted(nodeId: string): Hosted {
    const node = this.node(nodeId);
    if (!node) throw new UnknownNodeError({ nodeId, machine: this.machineName });
    return { node, kind: this.registry.kind(node.kind) };
  }

  private deliver(from: string, to: string, message: Body): boolean {
    const node = this.node(to);
    if (!node) return false;
    let checked = message;
    if (this.options.checkArrivals) {
      try {
        checked = checkBody(this.registry.kind(node.kind).schemas.messages, message, node, 'message', message.type);
      } catch (error) {
        // Acknowledged and dropped: resending the same bad message would not make it good.
        this.logger.warn({ node_id: to, from, err: describeError(error) }, 'rejected input');
        return true;
      }
    }
    // guard() inlined: no closure per delivered message.
    try {
      node.receive(checked, from);
    } catch (error) {
      this.host.nodeFailed(error, { nodeId: to, during: message.type });
    }
    return true;
  }

  private node(id: string): Node | undefined {
    const first = this.firstNode;
    return first !== undefined && first.id === id ? first : this.moreNodes?.get(id);
  }

  /** Only a node that failed to start is removed: it was the last one added. */
  private removeNode(id: string): void {
    if (this.moreNodes?.delete(id)) return;
    if (this.firstNode?.id === id) this.firstNode = undefined;
  }

  private allNodes(): Node[] {
    return this.firstNode ? [this.firstNode, ...(this.moreNodes?.values() ?? [])] : [];
  }

  private guard(during: string, nodeId: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.host.nodeFailed(error, { nodeId, during });
    }
  }
}
