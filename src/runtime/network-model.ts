/**
 * The network's faults, held as data: latency, per-link conditions and partitions live here, not in
 * nodes. For each packet it decides, from a seeded generator, whether it is lost, corrupted or too
 * large, how many copies arrive and after how long. The simulator asks it about every packet between
 * its machines; a real machine's runner asks it about every datagram it sends, so the same
 * conditions mean the same thing — and are counted the same way — in every mode.
 */
import { emptyFaultCounts, type FaultCounts, type LinkConditions } from '../messages/network.ts';
import type { Rng } from './rng.ts';

export { calmNetwork } from '../messages/network.ts';

const pairKey = (from: string, to: string) => `${from}\u0000${to}`;

export class NetworkModel {
  private readonly perLink = new Map<string, LinkConditions>();
  private readonly cut = new Set<string>();
  readonly faults: FaultCounts = emptyFaultCounts();
  /** Whether the last packet `deliveries` decided on had a byte flipped (its copies still travel). */
  lastCorrupted = false;

  constructor(
    private readonly rng: Rng,
    private global: LinkConditions,
  ) {}

  configure(conditions: Partial<LinkConditions>, link?: { from: string; to: string }): void {
    if (!link) {
      this.global = { ...this.global, ...conditions };
      return;
    }
    const key = pairKey(link.from, link.to);
    this.perLink.set(key, { ...(this.perLink.get(key) ?? this.global), ...conditions });
  }

  conditions(from: string, to: string): LinkConditions {
    return this.perLink.size === 0 ? this.global : (this.perLink.get(pairKey(from, to)) ?? this.global);
  }

  /** Cut every link between the two groups of machines, both ways. */
  partition(groupA: readonly string[], groupB: readonly string[]): void {
    for (const a of groupA) {
      for (const b of groupB) {
        this.cut.add(pairKey(a, b));
        this.cut.add(pairKey(b, a));
      }
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /**
   * The delays after which copies of one packet from `from` to `to` arrive: none when it is lost,
   * two when it is duplicated. `sizeOf(packet)` (its sealed size) is only asked when the link has a
   * maximum (a shared function, not a closure per packet: this runs for every packet).
   * A corrupted packet still travels (`lastCorrupted`): its receiver's authentication rejects it.
   */
  deliveries<P>(from: string, to: string, sizeOf: (packet: P) => number, packet: P): number[] {
    const copies = this.decide(from, to, sizeOf, packet);
    return copies === 0 ? [] : copies === 1 ? [this.firstDelay] : [this.firstDelay, this.secondDelay];
  }

  /** The delays `decide` drew for its packet's copies (the simulator reads them: no array per packet). */
  firstDelay = 0;
  secondDelay = 0;

  /** `deliveries`, as a count of copies (0, 1 or 2) whose delays are left in firstDelay and secondDelay. */
  decide<P>(from: string, to: string, sizeOf: (packet: P) => number, packet: P): number {
    this.lastCorrupted = false;
    if (this.cut.size > 0 && this.cut.has(pairKey(from, to))) {
      this.faults.partitioned++;
      return 0;
    }
    const c = this.conditions(from, to);
    if (c.maxDatagramBytes > 0 && sizeOf(packet) > c.maxDatagramBytes) {
      this.faults.oversized++;
      return 0;
    }
    if (c.drop > 0 && this.rng.chance(c.drop)) {
      this.faults.drops++;
      return 0;
    }
    if (c.corrupt > 0 && this.rng.chance(c.corrupt)) {
      this.faults.corrupted++;
      this.lastCorrupted = true;
    }
    this.firstDelay = this.delay(c);
    if (c.duplicate > 0 && this.rng.chance(c.duplicate)) {
      this.faults.duplicates++;
      this.secondDelay = this.delay(c);
      return 2;
    }
    return 1;
  }

  /** One-way delay for a packet on a calm link: also what an API call from the test takes. */
  delay(c: LinkConditions = this.global): number {
    let d = c.latencyMs + (c.jitterMs > 0 ? this.rng.exponential(c.jitterMs) : 0);
    if (c.tailChance > 0 && this.rng.chance(c.tailChance)) {
      this.faults.delays++;
      d += this.rng.exponential(c.tailMs);
    }
    if (c.reorder > 0 && this.rng.chance(c.reorder)) {
      this.faults.reorders++;
      d += c.latencyMs + 4 * c.jitterMs + this.rng.exponential(4 * c.jitterMs + 1);
    }
    return d;
  }
}
