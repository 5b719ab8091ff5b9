/**
 * The reliable links on their own, between two hosts the test drives by hand (real-runner timer
 * semantics: an armed timer fires when the test moves the clock past it): what rides on what.
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { expect, test } from '../../fixtures/index.ts';
import type { Address, Body, Packet } from '../../src/messages/index.ts';
import { ReliableLinks, defaultLinkTiming, type LinksSnapshot } from '../../src/runtime/links.ts';
import type { HostTimer, MachineHost } from '../../src/runtime/machine-host.ts';

const unit = { tag: '@simulated' };

/** A machine's host with a hand-moved clock; what it transmits is kept for the test to deliver. */
class HandHost implements MachineHost {
  readonly logger = pino({ level: 'silent' });
  readonly sent: Packet[] = [];
  private clock = 0;
  private readonly armed = new Map<HostTimer, number>();

  constructor(
    readonly address: Address,
    readonly incarnation: string,
  ) {}

  now(): number {
    return this.clock;
  }
  schedule(delayMs: number, fn: () => void): () => void {
    const timer: HostTimer = { fire: fn, timerHandle: undefined };
    this.armTimer(delayMs, timer);
    return () => this.disarmTimer(timer);
  }
  armTimer(delayMs: number, timer: HostTimer): void {
    this.armed.set(timer, this.clock + delayMs);
    timer.timerHandle = timer;
  }
  disarmTimer(timer: HostTimer): void {
    this.armed.delete(timer);
    timer.timerHandle = undefined;
  }
  scheduleAck(delayMs: number, _to: Address, ack: HostTimer): void {
    this.armTimer(delayMs, ack);
  }
  cancelAck(ack: HostTimer): void {
    this.disarmTimer(ack);
  }
  settleAck(): void {}
  awaitAcks(): void {}
  transmit(_to: Address, packet: Packet): void {
    this.sent.push(packet);
  }
  setClock(): void {}
  nodeFailed(error: unknown): void {
    throw error;
  }

  /** Move the clock on by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.clock + ms;
    for (;;) {
      const due = [...this.armed].filter(([, at]) => at <= end).sort((a, b) => a[1] - b[1])[0];
      if (!due) break;
      this.clock = due[1];
      this.disarmTimer(due[0]);
      due[0].fire();
    }
    this.clock = end;
  }

  /** What it sent since the last take. */
  take(): Packet[] {
    return this.sent.splice(0);
  }
}

/** Client node `c` on machine A, server node `s` on machine B; `answer` says what `s` does with each message. */
function pair(answer: (links: ReliableLinks, message: Body) => void = () => undefined) {
  const a = new HandHost({ kind: 'sim', machineId: 'A' }, 'inc-a');
  const b = new HandHost({ kind: 'sim', machineId: 'B' }, 'inc-b');
  const got: { at: 'c' | 's'; message: Body }[] = [];
  const clientLinks = new ReliableLinks(a, (_from, to, message) => {
    got.push({ at: to as 'c', message });
    return true;
  });
  const serverLinks: ReliableLinks = new ReliableLinks(b, (_from, to, message) => {
    got.push({ at: to as 's', message });
    answer(serverLinks, message);
    return true;
  });
  const deliver = (links: ReliableLinks, packets: Packet[]) => {
    for (const packet of packets) {
      if (packet.type === 'data') links.onData(packet);
      else if (packet.type === 'ack') links.onAck(packet);
    }
  };
  /**
   * The server's message reaches the client, which answers nothing: its ack of it goes alone, once,
   * and it resends nothing (its own message was acknowledged). Then nothing more leaves the server.
   */
  const clientAcksAloneThenQuiet = (fromServer: Packet[]) => {
    deliver(clientLinks, fromServer);
    a.advance(1_000);
    const fromClient = a.take();
    expect(fromClient).toEqual([{ type: 'ack', from: 's', to: 'c', inc: 'inc-b', seq: 1 }]);
    deliver(serverLinks, fromClient);
    b.advance(1_000);
    expect(b.take()).toEqual([]);
  };
  return { a, b, got, clientLinks, serverLinks, deliver, clientAcksAloneThenQuiet };
}

test.describe('reliable links: acknowledgements riding on data', () => {
  test('a reply sent at once carries the ack of the request it answers: no ack packet goes alone', unit, () => {
    const { a, b, got, clientLinks, serverLinks, deliver, clientAcksAloneThenQuiet } = pair((links, message) =>
      links.send('s', 'c', a.address, { type: 'reply', to: message['n'] as number }),
    );
    clientLinks.send('c', 's', b.address, { type: 'ask', n: 1 });
    deliver(serverLinks, a.take());
    const fromServer = b.take();
    expect(fromServer).toHaveLength(1);
    expect(fromServer[0]).toMatchObject({ type: 'data', from: 's', to: 'c', ack: { inc: 'inc-a', seq: 1 } });
    // The reply acknowledged the request; the server's delayed ack was withdrawn.
    clientAcksAloneThenQuiet(fromServer);
    expect(got.map((g) => g.message.type)).toEqual(['ask', 'reply']);
  });

  test('once the delayed ack has gone, a later message carries none', unit, () => {
    const { a, b, clientLinks, serverLinks, deliver } = pair();
    clientLinks.send('c', 's', b.address, { type: 'ask', n: 1 });
    deliver(serverLinks, a.take());
    b.advance(50);
    expect(b.take()).toEqual([{ type: 'ack', from: 'c', to: 's', inc: 'inc-a', seq: 1 }]);
    serverLinks.send('s', 'c', a.address, { type: 'later' });
    const [later] = b.take();
    expect(later).toMatchObject({ type: 'data', seq: 1 });
    expect(later).toHaveProperty('ack', undefined);
  });

  test('a retransmission that arrives again is acknowledged again, by the next message the other way if one goes before the delay', unit, () => {
    const { a, b, clientLinks, serverLinks, deliver, clientAcksAloneThenQuiet } = pair();
    clientLinks.send('c', 's', b.address, { type: 'ask', n: 1 });
    const [request] = a.take();
    deliver(serverLinks, [request!]);
    b.advance(50);
    expect(b.take()).toHaveLength(1); // the ack, lost on its way
    deliver(serverLinks, [request!]); // the client's retransmission
    serverLinks.send('s', 'c', a.address, { type: 'news' });
    const fromServer = b.take();
    expect(fromServer).toEqual([expect.objectContaining({ type: 'data', ack: { inc: 'inc-a', seq: 1 } })]);
    // The news acknowledged the request; the server's re-armed ack was withdrawn.
    clientAcksAloneThenQuiet(fromServer);
  });
});

test.describe('reliable links: order', () => {
  test('packets in any order, duplicated, across a journal: each delivered once, in order, within a window and far beyond it', unit, () => {
    // A sender whose window (200) is wider than the receiver's ring of early packets (64): packets
    // arrive up to 199 ahead of the gap, so both the ring and the map beyond it hold some.
    const count = 200;
    fc.assert(
      fc.property(fc.shuffledSubarray([...Array(count).keys()], { minLength: count, maxLength: count }), fc.array(fc.nat(count - 1), { maxLength: 40 }), fc.nat(count), (order, duplicated, crashAfter) => {
        const a = new HandHost({ kind: 'sim', machineId: 'A' }, 'inc-a');
        const b = new HandHost({ kind: 'sim', machineId: 'B' }, 'inc-b');
        const sender = new ReliableLinks(a, () => true, { ...defaultLinkTiming, window: count });
        for (let n = 0; n < count; n++) sender.send('c', 's', b.address, { type: 'n', n });
        const packets = a.take();
        const got: number[] = [];
        const receiverOn = (journal?: LinksSnapshot) => {
          const links = new ReliableLinks(b, (_from, _to, message) => got.push(message.n as number) > 0);
          if (journal) links.restore(JSON.parse(JSON.stringify(journal)) as LinksSnapshot);
          return links;
        };
        let receiver = receiverOn();
        const arrivals = [...order.map((i) => packets[i]!), ...duplicated.map((i) => packets[i]!)];
        arrivals.forEach((packet, i) => {
          // The receiver's machine restarts from its journal partway (what it held early included).
          if (i === crashAfter) receiver = receiverOn(receiver.snapshot());
          if (packet.type === 'data') receiver.onData(packet);
        });
        expect(got).toEqual([...Array(count).keys()]);
      }),
      { numRuns: 60, seed: 7 },
    );
  });
});
