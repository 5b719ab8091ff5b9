/**
 * The real-time run loop of one machine (virtual and cloud modes): a NodeManager fed by real time,
 * by UDP datagrams from other machines and by the test's API requests over TCP. Anything that
 * arrives malformed, oversized, unknown or unauthenticated is dropped with a logged reason; the
 * loop never dies of a bad message.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logging.ts';
import { packetSchema, probeSchema, type Address, type ApiRequest, type ApiResponse, type Packet } from '../messages/index.ts';
import { emptyFaultCounts, noFaults } from '../messages/network.ts';
import type { Registry } from '../nodes/kinds.ts';
import { MachineClock } from './clock.ts';
import { ApiServer, type ApiConnection, type ApiLimits } from './api-server.ts';
import { describeError } from './errors.ts';
import type { Cancel } from './machine-controller.ts';
import type { DelayedAck, HostTimer, MachineHost } from './machine-host.ts';
import { NetworkModel } from './network-model.ts';
import { NodeManager, type MachineSnapshot } from './node-manager.ts';
import { Rng, fnv1a } from './rng.ts';
import { Rejections } from './rejections.ts';
import { FrameKind, FrameSealer, ReplayWindows, sealedLength } from './wire.ts';

export interface MachineRunnerOptions {
  machineId: string;
  machineName: string;
  secret: string;
  udpPort: number;
  apiPort: number;
  /** The address other machines send to; host 'auto' means this machine's first non-loopback IPv4. */
  advertise: { host: string; port?: number | undefined };
  /** Limits of the API port against whoever can reach it (see ApiServer). */
  api: ApiLimits;
  /** Largest datagram accepted or sent. */
  maxPacketBytes: number;
  logger: Logger;
  clock?: MachineClock;
  /**
   * Where the machine journals its state after every step, before anything it sent in that step
   * leaves. A runner started with a journal takes it back: a crash then loses nothing but time.
   */
  stateFile?: string | undefined;
  /** The node kinds this machine runs: built from the project's systems module, bundled with the runner. */
  registry: Registry;
}

/** Printed to stdout once both sockets listen: what container wait strategies and loaders look for. */
export const READY_LINE = 'distzero machine ready';

type Journal = MachineSnapshot & { senders?: Record<string, number> };

export class MachineRunner implements MachineHost {
  readonly incarnation: string;
  readonly logger: Logger;
  readonly manager: NodeManager;
  readonly address: Address;
  readonly rejections: Rejections;
  private readonly sealer: FrameSealer;
  /** Counters seen per sender, over both sockets: a frame is taken once, from wherever it comes. */
  private readonly windows = new ReplayWindows();
  private readonly clock: MachineClock;
  private readonly udp = dgram.createSocket('udp4');
  private readonly api: ApiServer;

  constructor(private readonly options: MachineRunnerOptions) {
    this.logger = options.logger;
    this.rejections = new Rejections(options.logger);
    this.sealer = new FrameSealer(options.secret);
    this.clock = options.clock ?? new MachineClock();
    const host = options.advertise.host === 'auto' ? firstExternalIPv4() : options.advertise.host;
    this.address = { kind: 'udp', host, port: options.advertise.port ?? options.udpPort };
    const journal = readJournal(options.stateFile);
    this.incarnation = journal?.incarnation ?? randomBytes(8).toString('hex');
    this.manager = new NodeManager(options.machineId, options.machineName, this, options.registry, { checkArrivals: true });
    // Frames this machine took before a crash stay taken: a restart must not reopen them to replay.
    if (journal?.senders) this.windows.restore(journal.senders);
    if (journal) this.step(() => this.manager.restore(journal));
    this.udp.on('message', (datagram, from) => this.onDatagram(datagram, from));
    this.udp.on('error', (error) => this.logger.error({ err: describeError(error) }, 'udp socket error'));
    this.api = new ApiServer({
      port: options.apiPort,
      machineId: options.machineId,
      sealer: this.sealer,
      windows: this.windows,
      rejections: this.rejections,
      logger: options.logger,
      limits: options.api,
      onRequest: (connection, id, request) => this.onRequest(connection, id, request),
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.udp.once('error', reject);
      this.udp.bind(this.options.udpPort, () => resolve());
    });
    await this.api.listen();
    this.logger.info({ udp: this.options.udpPort, api: this.options.apiPort, advertise: this.address }, 'machine listening');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.manager.close();
    this.rejections.summarize();
    await Promise.all([this.api.close(), new Promise<void>((resolve) => this.udp.close(() => resolve()))]);
    this.logger.info('machine stopped');
  }

  // --- MachineHost ----------------------------------------------------------------------------

  now(): number {
    return this.clock.now();
  }

  schedule(delayMs: number, fn: () => void): Cancel {
    const timer = setTimeout(() => this.step(fn), this.clock.realDelay(delayMs));
    return () => clearTimeout(timer);
  }

  armTimer(delayMs: number, timer: HostTimer): void {
    timer.timerHandle = this.schedule(delayMs, () => {
      timer.timerHandle = undefined;
      timer.fire();
    });
  }

  disarmTimer(timer: HostTimer): void {
    (timer.timerHandle as Cancel | undefined)?.();
    timer.timerHandle = undefined;
  }

  /** A real machine's delayed ack is a timer like any other. */
  scheduleAck(delayMs: number, _to: Address, ack: DelayedAck): void {
    this.armTimer(delayMs, ack);
  }

  cancelAck(ack: DelayedAck): void {
    this.disarmTimer(ack);
  }

  /** Its timer fires when due: nothing to settle. */
  settleAck(_ack: DelayedAck): void {}

  /** Acks arrive as datagrams, when they arrive: nothing to do. */
  awaitAcks(): void {}

  transmit(to: Address, packet: Packet): void {
    if (to.kind !== 'udp') {
      this.logger.error({ to }, 'cannot send to a non-UDP address from a real machine');
      return;
    }
    // Sealed when it leaves (after the commit), each copy on its own: see sendThroughFaults.
    const body = Buffer.from(JSON.stringify(packet), 'utf8');
    if (sealedLength(body.length) > this.options.maxPacketBytes) {
      this.logger.error({ bytes: sealedLength(body.length), to: packet.to }, 'packet too large for one datagram; dropped');
      return;
    }
    this.outbox.push({ body, port: to.port, host: to.host });
    this.scheduleCommit();
  }

  // --- Network faults: the conditions the test asked for, applied to every datagram sent ---------
  // The same NetworkModel the simulator uses, seeded from the system's seed and this machine's id,
  // so drops, duplicates, delays, reordering, corruption, size limits and partitions need no kernel
  // support and are counted per packet as in simulation. Made on first use: most runs ask for none.

  private network: NetworkModel | undefined;

  private networkModel(seed: number): NetworkModel {
    return (this.network ??= new NetworkModel(new Rng(seed ^ fnv1a(this.manager.machineId)), noFaults));
  }

  /** Answer a request about the packet path; undefined for the requests the machine's nodes answer. */
  private networkRequest(request: ApiRequest): ApiResponse | undefined {
    const self = this.manager.machineId;
    switch (request.type) {
      case 'configure_network':
        this.networkModel(request.seed).configure(request.conditions, request.to && { from: self, to: peerKey(request.to) });
        this.logger.info({ conditions: request.conditions, to: request.to }, 'network conditions');
        return { ok: true, result: {} };
      case 'partition':
        this.networkModel(request.seed).partition([self], request.peers.map(peerKey));
        this.logger.info({ peers: request.peers }, 'partitioned from peers');
        return { ok: true, result: {} };
      case 'heal':
        this.network?.heal();
        this.logger.info('partition healed');
        return { ok: true, result: {} };
      case 'fault_counts':
        return { ok: true, result: this.network?.faults ?? emptyFaultCounts() };
      default:
        return undefined;
    }
  }

  /**
   * A datagram through the fault model (when there is one): lost, corrupted, duplicated or delayed.
   * Each copy of a duplicated datagram is sealed on its own (its own counter): the fault means "the
   * network delivered this packet twice", and the receiver delivers both copies as the simulator
   * does (the raw channel's "twice means twice"), while its replay window keeps `replayed` for real
   * replays. A byte-for-byte copy made by a real network is refused as `replayed` instead: to a
   * node that is a lost copy, which the links never notice and a raw protocol must bear anyway.
   */
  private sendThroughFaults(body: Buffer, port: number, host: string): void {
    const network = this.network;
    if (!network) return this.send(this.sealer.sealBytes(FrameKind.packet, body), port, host);
    const delays = network.deliveries(this.manager.machineId, peerKey({ host, port }), sealedLengthOf, body);
    const corrupted = network.lastCorrupted;
    for (const delay of delays) {
      const sealed = this.sealer.sealBytes(FrameKind.packet, body);
      // A flipped byte in the GCM tag: the receiver's authentication must reject the frame (and counts it as bad_mac).
      const wire = corrupted ? flipLastByte(sealed) : sealed;
      if (delay < 1) this.send(wire, port, host);
      else setTimeout(() => this.send(wire, port, host), delay).unref();
    }
  }

  // --- Steps: inputs are handled, journaled, and only then does what they sent leave --------------
  // Commits are coalesced: every step of one turn of the event loop is journaled once, then the
  // packets and answers of that turn go out. Nothing leaves before the state that produced it is saved.

  private outbox: { body: Buffer; port: number; host: string }[] = [];
  private afterCommit: (() => void)[] = [];
  private commitScheduled = false;

  private step<T>(fn: () => T): T {
    try {
      return fn();
    } finally {
      this.scheduleCommit();
    }
  }

  private scheduleCommit(): void {
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    setImmediate(() => this.commit());
  }

  private commit(): void {
    this.commitScheduled = false;
    const file = this.options.stateFile;
    if (file) {
      const journal: Journal = { ...this.manager.snapshot(), senders: this.windows.snapshot() };
      fs.writeFileSync(`${file}.next`, JSON.stringify(journal));
      fs.renameSync(`${file}.next`, file);
    }
    const out = this.outbox;
    const then = this.afterCommit;
    this.outbox = [];
    this.afterCommit = [];
    for (const { body, port, host } of out) this.sendThroughFaults(body, port, host);
    for (const fn of then) fn();
  }

  /** Peers may be named (a container's DNS name survives its restart; its IP may not): cache lookups briefly. */
  private readonly resolved = new Map<string, { ip: string; until: number }>();

  /** Set by stop(): a datagram the fault model delayed past it is dropped, not sent on a closed socket. */
  private stopped = false;

  private send(frame: Buffer, port: number, host: string): void {
    if (this.stopped) return;
    const cached = this.resolved.get(host);
    if (cached && cached.until > Date.now()) return this.udp.send(frame, port, cached.ip);
    if (net.isIP(host)) return this.udp.send(frame, port, host);
    dns.lookup(host, { family: 4 }, (error, ip) => {
      if (error) return this.logger.warn({ host, err: error.message }, 'cannot resolve peer; packet dropped (links resend; a raw datagram is lost, as it may be)');
      this.resolved.set(host, { ip, until: Date.now() + 1_000 });
      if (!this.stopped) this.udp.send(frame, port, ip);
    });
  }

  setClock(offsetMs: number, rate: number): void {
    this.clock.set(offsetMs, rate);
  }

  nodeFailed(error: unknown, context: { nodeId: string; during: string }): void {
    const described = describeError(error);
    this.logger.error({ node_id: context.nodeId, during: context.during, err: described }, 'node failed; machine goes on');
    // Kept for the test (see pingResult): the machine goes on, the test must not pass unaware.
    this.nodeFailures.count++;
    if (this.nodeFailures.first.length < KEPT_FAILURES) this.nodeFailures.first.push({ ...context, error: { name: described.name, message: described.message } });
  }

  private readonly nodeFailures: { count: number; first: { nodeId: string; during: string; error: { name: string; message: string } }[] } = { count: 0, first: [] };

  // --- Input ------------------------------------------------------------------------------------

  private onDatagram(datagram: Buffer, from: dgram.RemoteInfo): void {
    const source = `${from.address}:${from.port}`;
    if (datagram.length > this.options.maxPacketBytes) return this.rejections.count('oversized', source, `${datagram.length} bytes exceeds ${this.options.maxPacketBytes}`);
    if (datagram[1] === FrameKind.probe) return this.onProbe(datagram, from);
    const opened = this.sealer.open(FrameKind.packet, datagram, packetSchema, this.windows);
    if (!opened.ok) return this.rejections.count(opened.reason, source, opened.detail);
    try {
      this.step(() => this.manager.receivePacket(opened.value));
    } catch (error) {
      this.logger.error({ err: describeError(error), source }, 'packet handling failed; machine goes on');
    }
  }

  /** The test process checks that a UDP port reaches this machine: answer, sealed, with our id. */
  private onProbe(datagram: Buffer, from: dgram.RemoteInfo): void {
    const source = `${from.address}:${from.port}`;
    const opened = this.sealer.open(FrameKind.probe, datagram, probeSchema, this.windows);
    if (!opened.ok) return this.rejections.count(opened.reason, source, opened.detail);
    const answer = this.sealer.seal(FrameKind.probeAnswer, { nonce: opened.value.nonce, machineId: this.manager.machineId });
    if (!this.stopped) this.udp.send(answer, from.port, from.address);
  }

  private onRequest(connection: ApiConnection, id: number, request: ApiRequest): void {
    // Answer once what the request changed is journaled (a started node survives a crash right after).
    const answer = (response: ApiResponse) => {
      this.afterCommit.push(() => this.api.respond(connection, id, response));
      this.scheduleCommit();
    };
    if (request.type === 'ping') return answer({ ok: true, result: this.pingResult() });
    const network = this.networkRequest(request);
    if (network) answer(network);
    else this.step(() => this.manager.handleApi(request, answer));
  }

  /** Who this machine is, what it refused, and what it holds: the container's memory as its own process sees it. */
  private pingResult() {
    const memory = process.memoryUsage();
    return {
      machineId: this.manager.machineId,
      transport: this.manager.transportFor(''),
      rejected: { ...this.rejections.counts },
      nodeFailures: this.nodeFailures,
      resources: { rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external, arrayBuffers: memory.arrayBuffers, ...this.api.stats() },
    };
  }
}

/** Node failures a machine keeps whole for the test (it counts the rest; each is in its log). */
const KEPT_FAILURES = 5;

/** How the fault model names a peer: the UDP address this machine sends to. */
function peerKey(peer: { host: string; port: number }): string {
  return `${peer.host}:${peer.port}`;
}

const sealedLengthOf = (body: Buffer) => sealedLength(body.length);

function flipLastByte(frame: Buffer): Buffer {
  frame[frame.length - 1] = frame[frame.length - 1]! ^ 0xff;
  return frame;
}

function firstExternalIPv4(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function readJournal(file: string | undefined): Journal | undefined {
  if (!file) return undefined;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Journal;
}
