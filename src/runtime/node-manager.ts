/**
 * The one implementation of MachineController: hosts a machine's nodes, routes their messages over
 * reliable links, and answers the test's API requests. It does no I/O and keeps no clock of its own;
 * a runner drives it with packets, API requests and the MachineHost's timers.
 */
import type { Logger } from '../logging.ts';
import type { ApiRequest, ApiResponse, NodeConfig, NodeHandle, NodeMessage, Packet, Transport } from '../messages/index.ts';
import { createNode, type Node } from '../nodes/index.ts';
import { NoTransportError, UnknownNodeError, describeError } from './errors.ts';
import { ReliableLinks, type LinkTiming, type LinksSnapshot, defaultLinkTiming } from './links.ts';
import type { Cancel, MachineController } from './machine-controller.ts';
import type { MachineHost } from './machine-host.ts';

export interface MachineSnapshot {
  incarnation: string;
  nodes: { config: NodeConfig; state: object }[];
  transports: [string, Transport][];
  links: LinksSnapshot;
}

/** The sender id used for messages the test injects with send_to_node. */
export const SYSTEM_SENDER = 'system';

export class NodeManager implements MachineController {
  private readonly nodes = new Map<string, Node>();
  /** Made on first use: an idle machine should cost bytes, not maps. */
  private transports: Map<string, Transport> | undefined;
  readonly links: ReliableLinks;

  constructor(
    readonly machineId: string,
    readonly machineName: string,
    private readonly host: MachineHost,
    timing: LinkTiming = defaultLinkTiming,
  ) {
    this.links = new ReliableLinks(host, (from, to, message) => this.deliver(from, to, message), timing);
  }

  // --- MachineController: what nodes see -------------------------------------------------------

  get logger(): Logger {
    return this.host.logger;
  }

  now(): number {
    return this.host.now();
  }

  send(fromNodeId: string, to: NodeHandle, message: NodeMessage): void {
    const transport = this.transports?.get(to.id);
    if (!transport) throw new NoTransportError(fromNodeId, to.id);
    this.links.send(fromNodeId, to.id, transport.address, message);
  }

  setTransport(to: NodeHandle, transport: Transport): void {
    (this.transports ??= new Map()).set(to.id, transport);
  }

  transportFor(_nodeId: string): Transport {
    return { machineId: this.machineId, address: this.host.address };
  }

  setTimer(delayMs: number, fn: () => void): Cancel {
    return this.host.schedule(delayMs, () => this.guard('timer', '?', fn));
  }

  // --- What a runner calls --------------------------------------------------------------------

  /** A packet off the wire, already authenticated and validated by the runner. */
  receivePacket(packet: Packet): void {
    if (packet.type === 'data') this.links.onData(packet);
    else this.links.onAck(packet);
  }

  /** Answer one API request; never throws: failures become `{ ok: false, error }`. */
  handleApi(request: ApiRequest): ApiResponse {
    try {
      return { ok: true, result: this.apply(request) };
    } catch (error) {
      this.logger.warn({ request: request.type, err: describeError(error) }, 'api request failed');
      return { ok: false, error: describeError(error) };
    }
  }

  /** Everything this machine must remember across a crash: nodes, transports, links. */
  snapshot(): MachineSnapshot {
    return {
      incarnation: this.host.incarnation,
      nodes: [...this.nodes.values()].map((node) => ({ config: node.config, state: node.snapshot() })),
      transports: [...(this.transports ?? [])],
      links: this.links.snapshot(),
    };
  }

  /** Take back a journaled machine (before anything else happens on it). */
  restore(snapshot: MachineSnapshot): void {
    for (const [id, transport] of snapshot.transports) (this.transports ??= new Map()).set(id, transport);
    this.links.restore(snapshot.links);
    for (const { config, state } of snapshot.nodes) {
      const node = createNode(config, this);
      this.nodes.set(config.id, node);
      this.guard('restore', config.id, () => node.restore(state));
    }
    this.logger.info({ nodes: snapshot.nodes.length }, 'machine restored from its journal');
  }

  /** Stop everything this machine has scheduled. */
  close(): void {
    this.links.close();
  }


  private apply(request: ApiRequest): unknown {
    switch (request.type) {
      case 'ping':
        return { machineId: this.machineId, transport: this.transportFor('') };
      case 'start_node':
        return this.startNode(request.config);
      case 'create_kid_config':
        return this.node(request.parentId).createKidConfig(request.kid);
      case 'send_to_node': {
        const node = this.node(request.nodeId);
        this.guard('send_to_node', node.id, () => node.receive(request.message, SYSTEM_SENDER));
        return {};
      }
      case 'get_output_state':
        return this.node(request.nodeId).outputState();
      case 'set_clock':
        this.host.setClock(request.offsetMs, request.rate);
        this.logger.info({ offset_ms: request.offsetMs, rate: request.rate }, 'clock skewed');
        return { now: this.host.now() };
    }
  }

  private startNode(config: NodeConfig): NodeHandle {
    if (this.nodes.has(config.id)) throw new Error(`node ${config.id} already runs on machine ${this.machineId}`);
    const node = createNode(config, this);
    this.nodes.set(config.id, node);
    try {
      node.initialize();
    } catch (error) {
      this.nodes.delete(config.id);
      throw error;
    }
    this.logger.info({ node_id: config.id, kind: config.kind, node_name: config.name }, 'node started');
    return node.handle;
  }

  private node(nodeId: string): Node {
    const node = this.nodes.get(nodeId);
    if (!node) throw new UnknownNodeError(nodeId, this.machineId);
    return node;
  }

  private deliver(from: string, to: string, message: NodeMessage): boolean {
    const node = this.nodes.get(to);
    if (!node) return false;
    this.guard(message.type, to, () => node.receive(message, from));
    return true;
  }

  private guard(during: string, nodeId: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.host.nodeFailed(error, { nodeId, during });
    }
  }
}
