/**
 * A grow-only set, or a broadcast: elements are added (or messages broadcast), then every node is
 * read once the system has settled. Nothing acknowledged may be missing from any node, and nothing
 * may appear that nobody tried to add. Elements whose add is unknown (`info`) may be present or not.
 */
import type { History, Value } from './history.ts';

/** An element of a set (compared with `===`). */
export type Element = Exclude<Value, null | boolean>;

export interface SetCheckInput {
  /** Elements whose add completed `ok`: they must be in every final read. */
  acknowledged: Iterable<Element>;
  /** Elements whose add is unknown (`info`): allowed, not required. */
  attempted?: Iterable<Element>;
  /** Each node's final read. */
  reads: ReadonlyMap<string, Iterable<Element>> | Readonly<Record<string, Iterable<Element>>>;
}

export interface SetCheckResult {
  /** Nothing acknowledged is lost and nothing unexpected is present. */
  valid: boolean;
  /** Acknowledged elements missing from at least one node's final read, in ascending order. */
  lost: Element[];
  /** For each node missing some, the acknowledged elements it lacks. */
  lostBy: Record<string, Element[]>;
  /** Present in some read though never attempted (nor acknowledged): made up, or from elsewhere. */
  unexpected: Element[];
  /** Attempted (`info`) elements present in at least one read: those adds did take effect. */
  recovered: Element[];
  counts: { acknowledged: number; attempted: number; lost: number; unexpected: number; recovered: number; nodes: number };
}

const ascending = (a: Element, b: Element) => (typeof a === typeof b ? (a < b ? -1 : a > b ? 1 : 0) : typeof a === 'number' ? -1 : 1);

export function checkSet(input: SetCheckInput): SetCheckResult {
  const acknowledged = new Set(input.acknowledged);
  // An element both acknowledged and attempted (two adds of one value) is acknowledged: the stricter.
  const attempted = new Set([...(input.attempted ?? [])].filter((e) => !acknowledged.has(e)));
  const reads: [string, Iterable<Element>][] = input.reads instanceof Map ? [...input.reads] : Object.entries(input.reads);
  const lost = new Set<Element>();
  const lostBy: Record<string, Element[]> = {};
  const unexpected = new Set<Element>();
  const recovered = new Set<Element>();
  for (const [node, read] of reads) {
    const present = new Set(read);
    const missing = [...acknowledged].filter((e) => !present.has(e)).sort(ascending);
    if (missing.length > 0) lostBy[node] = missing;
    for (const e of missing) lost.add(e);
    for (const e of present) {
      if (attempted.has(e)) recovered.add(e);
      else if (!acknowledged.has(e)) unexpected.add(e);
    }
  }
  const result = { lost: [...lost].sort(ascending), lostBy, unexpected: [...unexpected].sort(ascending), recovered: [...recovered].sort(ascending) };
  return {
    valid: result.lost.length === 0 && result.unexpected.length === 0,
    ...result,
    counts: { acknowledged: acknowledged.size, attempted: attempted.size, lost: lost.size, unexpected: unexpected.size, recovered: recovered.size, nodes: reads.length },
  };
}

/**
 * The acknowledged and attempted elements of a history's `add` operations on `key` (all of them if
 * no key given): `fail` ones definitely did not happen, so they count as never attempted and one
 * that shows up is unexpected.
 */
export function setAdds(history: History, options: { key?: string } = {}): { acknowledged: Element[]; attempted: Element[] } {
  const acknowledged: Element[] = [];
  const attempted: Element[] = [];
  for (const operation of history) {
    if (operation.op !== 'add' || operation.args === null || typeof operation.args === 'boolean') continue;
    if (options.key !== undefined && operation.key !== options.key) continue;
    if (operation.outcome.type === 'ok') acknowledged.push(operation.args);
    else if (operation.outcome.type === 'info') attempted.push(operation.args);
  }
  return { acknowledged, attempted };
}
