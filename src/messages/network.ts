/**
 * What a test may ask of the network, as data every mode reads the same way: the simulator's
 * network model and each real machine's runner apply these conditions in their own packet path,
 * and count the same events.
 */
import { z } from 'zod';

const probability = z.number().min(0).max(1);
const milliseconds = z.number().min(0).max(3_600_000);

/** Conditions of a link (or of every link): all optional in a request, merged over the current ones. */
export const linkConditionsSchema = z.strictObject({
  /** Probability a packet is lost. */
  drop: probability,
  /** Probability a packet arrives twice. */
  duplicate: probability,
  /** Fixed part of the one-way delay, ms (in real modes, added to the real network's own). */
  latencyMs: milliseconds,
  /** Mean of the exponential part of the delay added on top, ms. */
  jitterMs: milliseconds,
  /** Probability a packet takes the heavy tail: an extra delay of about `tailMs` (exponential). */
  tailChance: probability,
  tailMs: milliseconds,
  /** Probability a packet is held back long enough to arrive after later ones. */
  reorder: probability,
  /** Probability a packet has a byte flipped in flight: the receiver's frame authentication rejects it. */
  corrupt: probability,
  /** Largest datagram a link carries, in bytes (its sealed frame); larger ones are lost. 0: no limit. */
  maxDatagramBytes: z.number().int().min(0).max(16 * 1024 * 1024),
});
export type LinkConditions = z.infer<typeof linkConditionsSchema>;
export const linkConditionsRequestSchema = linkConditionsSchema.partial();

/** Nothing added: what a real machine's own packet path does until told otherwise. */
export const noFaults: LinkConditions = { drop: 0, duplicate: 0, latencyMs: 0, jitterMs: 0, tailChance: 0, tailMs: 0, reorder: 0, corrupt: 0, maxDatagramBytes: 0 };

/** The simulator's default: a millisecond and a little jitter per hop, nothing lost. */
export const calmNetwork: LinkConditions = { ...noFaults, latencyMs: 1, jitterMs: 4 };

/** Events the fault injectors count, in every mode: packets (dropped, duplicated...), crashes, skewed clocks. */
export const faultKinds = ['drops', 'duplicates', 'delays', 'reorders', 'corrupted', 'oversized', 'partitioned', 'crashes', 'to_down_machine', 'skewed_clocks'] as const;
export type FaultKind = (typeof faultKinds)[number];
export type FaultCounts = Record<FaultKind, number>;
export const faultCountsSchema = z.object(Object.fromEntries(faultKinds.map((kind) => [kind, z.number().int().min(0)])) as Record<FaultKind, z.ZodNumber>);

export const emptyFaultCounts = (): FaultCounts => Object.fromEntries(faultKinds.map((kind) => [kind, 0])) as FaultCounts;

/** Counts of several machines (or several runs) added up. */
export function addFaultCounts(into: FaultCounts, more: FaultCounts): FaultCounts {
  for (const kind of faultKinds) into[kind] += more[kind];
  return into;
}
