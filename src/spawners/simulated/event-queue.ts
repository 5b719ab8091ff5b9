/**
 * The simulator's agenda: a binary min-heap of events ordered by time, ties broken by insertion
 * order so equal-time events run in the order they were scheduled (deterministic, and cheap to
 * compare). Cancelled events are skipped when they reach the top instead of being searched for.
 */
export interface SimEvent {
  readonly at: number;
  readonly seq: number;
  /** What to run, with `arg`: a shared handler plus a small record costs less than a closure per event. */
  fn: ((arg: never) => void) | undefined;
  arg: unknown;
}

export class EventQueue {
  private heap: SimEvent[] = [];
  private nextSeq = 0;
  private live = 0;

  get size(): number {
    return this.live;
  }

  push<A>(at: number, fn: (arg: A) => void, arg?: A): () => void {
    const event: SimEvent = { at, seq: this.nextSeq++, fn: fn as (arg: never) => void, arg };
    this.live++;
    const heap = this.heap;
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (p.at < at || (p.at === at && p.seq < event.seq)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
    return () => {
      if (event.fn) {
        event.fn = undefined;
        this.live--;
      }
    };
  }

  /** Time of the earliest live event, or undefined when none is left. */
  peekTime(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /** Remove and return the earliest live event. */
  pop(): SimEvent | undefined {
    this.dropCancelled();
    const top = this.heap[0];
    if (!top) return undefined;
    this.removeTop();
    this.live--;
    return top;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.fn === undefined) this.removeTop();
  }

  private removeTop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && before(heap[r]!, heap[l]!)) c = r;
      if (!before(heap[c]!, last)) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
