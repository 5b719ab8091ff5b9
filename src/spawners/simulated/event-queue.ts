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

  /** Schedule `fn(arg)` at `at`; returns its cancel function. */
  push<A>(at: number, fn: (arg: A) => void, arg?: A): () => void {
    const event = this.add(at, fn, arg);
    return () => this.cancel(event);
  }

  /**
   * Schedule `fn(arg)` at `at` and return the event itself, for `cancel`: the hot paths (every
   * packet's delivery, every API call) make no cancel closure they would mostly throw away.
   */
  add<A>(at: number, fn: (arg: A) => void, arg?: A): SimEvent {
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
    return event;
  }

  /** Cancel an event that has not run yet (a no-op once it ran or was cancelled). */
  cancel(event: SimEvent): void {
    if (!event.fn) return;
    event.fn = undefined;
    this.live--;
    // Far-off cancelled events (a call's timeout, answered long before) would pile up in the
    // heap, deepening every push and pop: when they outnumber the live ones, drop them all.
    if (this.heap.length > 64 && this.live < this.heap.length / 2) this.compact();
  }

  /** Time of the earliest live event, or undefined when none is left. */
  peekTime(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /**
   * Remove the earliest live event and return it, ready to run: its `fn` is taken out (a run event
   * cannot be cancelled any more; its cancel would miscount the live ones) and handed back in
   * `next`, so the run loop calls it directly, with no callback per event.
   */
  pop(): SimEvent | undefined {
    this.dropCancelled();
    const top = this.heap[0];
    if (!top) return undefined;
    this.removeTop();
    this.live--;
    this.next = top.fn;
    top.fn = undefined;
    return top;
  }

  /** The handler of the event `pop` returned last. */
  next: ((arg: never) => void) | undefined = undefined;

  /** Keep only live events and restore the heap order (Floyd's bottom-up build, O(n)). */
  private compact(): void {
    const heap = this.heap.filter((event) => event.fn !== undefined);
    this.heap = heap;
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i, heap[i]!);
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.fn === undefined) this.removeTop();
  }

  private removeTop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length > 0) this.siftDown(0, last);
  }

  /** Place `event` at slot `i` or below, moving earlier children up. */
  private siftDown(start: number, event: SimEvent): void {
    const heap = this.heap;
    let i = start;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && before(heap[r]!, heap[l]!)) c = r;
      if (!before(heap[c]!, event)) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = event;
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
