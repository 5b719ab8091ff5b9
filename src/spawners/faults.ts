/**
 * The fault vocabulary shared by every mode: what a test may ask of the network and the machines.
 * Each spawner does what its mode can and refuses the rest with UnsupportedFaultError, never
 * silently doing nothing.
 */

export { calmNetwork, emptyFaultCounts, linkConditionsSchema, noFaults, type FaultCounts, type FaultKind, type LinkConditions } from '../messages/network.ts';
import type { FaultKind, LinkConditions } from '../messages/network.ts';

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
  if (conditions.corrupt) kinds.push('corrupted');
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
