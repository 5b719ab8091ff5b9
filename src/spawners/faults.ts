/**
 * The fault vocabulary shared by every mode: what a test may ask of the network and the machines.
 * Each spawner does what its mode can and refuses the rest with UnsupportedFaultError, never
 * silently doing nothing.
 */

/** Conditions of a link (or of every link): all optional in a request, merged over the current ones. */
export interface LinkConditions {
  /** Probability a packet is lost. */
  drop: number;
  /** Probability a packet arrives twice. */
  duplicate: number;
  /** Fixed part of the one-way delay, ms. */
  latencyMs: number;
  /** Mean of the exponential part of the delay added on top, ms. */
  jitterMs: number;
  /** Probability a packet takes the heavy tail: an extra delay of about `tailMs` (exponential). */
  tailChance: number;
  tailMs: number;
  /** Probability a packet is held back long enough to arrive after later ones. */
  reorder: number;
}

export type FaultKind = 'drops' | 'duplicates' | 'delays' | 'reorders' | 'partitioned' | 'crashes' | 'to_down_machine' | 'skewed_clocks';
export type FaultCounts = Record<FaultKind, number>;

export const emptyFaultCounts = (): FaultCounts => ({
  drops: 0,
  duplicates: 0,
  delays: 0,
  reorders: 0,
  partitioned: 0,
  crashes: 0,
  to_down_machine: 0,
  skewed_clocks: 0,
});

/** A machine clock's offset from true time (ms) and its rate (1 = true rate; 1.1 runs 10% fast). */
export interface ClockSkew {
  offsetMs: number;
  rate: number;
}

/** The kinds of fault each kind of request should make fire (what checkFaultsFired looks for). */
export function expectedKinds(conditions: Partial<LinkConditions>): FaultKind[] {
  const kinds: FaultKind[] = [];
  if (conditions.drop) kinds.push('drops');
  if (conditions.duplicate) kinds.push('duplicates');
  if (conditions.reorder) kinds.push('reorders');
  if (conditions.tailChance) kinds.push('delays');
  return kinds;
}

/** A test asked for faults that never happened: whatever it proved, it did not prove it under them. */
export class FaultsNeverFiredError extends Error {
  override name = 'FaultsNeverFiredError';
  constructor(kinds: readonly FaultKind[]) {
    super(`configured faults never fired: ${kinds.join(', ')}`);
  }
}

export class UnsupportedFaultError extends Error {
  override name = 'UnsupportedFaultError';
  constructor(mode: string, what: string, why?: string) {
    super(`${mode} mode cannot ${what}${why ? `: ${why}` : ''}`);
  }
}
