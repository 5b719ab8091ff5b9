/**
 * The simulator's agenda: a binary min-heap of events ordered by time, ties broken by insertion
 * order so equal-time events run in the order they were scheduled (deterministic, and cheap to
 * compare). Cancelled events are skipped when they reach the top instead of being searched for.
 * An event record may be inserted again once it ran or was cancelled (a link's delayed ack is one
 * record, armed again and again): an entry is live only while its record is armed (`fn`) and still
 * carries the sequence number the entry was inserted with.
 */
export interface SimEvent {
  readonly at: number;
  /** Set by the queue when the event is added. */
  seq: number;
  /** What to run, with `arg`: a shared handler plus a small record costs less than a closure per event. */
  fn: ((arg: never) => void) | undefined;
  arg: unknown;
}

export class EventQueue {
  /**
   * The heap, as three parallel arrays: each slot's time and sequence number in typed arrays (the
   * comparisons of a push or a pop read these, contiguous, rather than chase an object per level),
   * and the events themselves. Small at first: a machine's own queues of lazy acks are mostly tiny.
   */
  private times = new Float64Array(8);
  private seqs = new Float64Array(8);
  private events: SimEvent[] = [];
  private count = 0;
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
    const event: SimEvent = { at, seq: 0, fn: fn as (arg: never) => void, arg };
    this.insert(event);
    return event;
  }

  /**
   * Add an event made by the caller: a record that is its own event (a packet's delivery, say)
   * saves the allocation of one more object on the hottest path. Its `fn` must be set.
   */
  insert(event: SimEvent): void {
    const seq = (event.seq = this.nextSeq++);
    this.live++;
    if (this.count === this.times.length) this.grow();
    this.siftUp(this.count++, event, event.at, seq);
  }

  /** Cancel an event that has not run yet (a no-op once it ran or was cancelled). */
  cancel(event: SimEvent): void {
    if (!event.fn) return;
    event.fn = undefined;
    this.live--;
    // Far-off cancelled events (a call's timeout, answered long before) would pile up in the
    // heap, deepening every push and pop: when they outnumber the live ones, drop them all.
    if (this.count > 64 && this.live < this.count / 2) this.compact();
  }

  /** Time of the earliest live event, or undefined when none is left. */
  peekTime(): number | undefined {
    this.dropCancelled();
    return this.count > 0 ? this.times[0] : undefined;
  }

  /**
   * Remove the earliest live event and return it, ready to run: its `fn` is taken out (a run event
   * cannot be cancelled any more; its cancel would miscount the live ones) and handed back in
   * `next`, so the run loop calls it directly, with no callback per event.
   */
  pop(): SimEvent | undefined {
    this.dropCancelled();
    if (this.count === 0) return undefined;
    const top = this.events[0]!;
    this.removeTop();
    this.live--;
    this.next = top.fn;
    top.fn = undefined;
    return top;
  }

  /** The handler of the event `pop` returned last. */
  next: ((arg: never) => void) | undefined = undefined;

  private grow(): void {
    const times = new Float64Array(this.times.length * 2);
    const seqs = new Float64Array(this.seqs.length * 2);
    times.set(this.times);
    seqs.set(this.seqs);
    this.times = times;
    this.seqs = seqs;
  }

  /** Keep only live events and restore the heap order (Floyd's bottom-up build, O(n)). */
  private compact(): void {
    let kept = 0;
    for (let i = 0; i < this.count; i++) {
      if (!this.liveAt(i)) continue;
      this.events[kept] = this.events[i]!;
      this.times[kept] = this.times[i]!;
      this.seqs[kept] = this.seqs[i]!;
      kept++;
    }
    this.events.length = kept;
    this.count = kept;
    for (let i = (this.count >> 1) - 1; i >= 0; i--) this.siftDown(i, this.events[i]!, this.times[i]!, this.seqs[i]!);
  }

  /** Whether the entry at slot `i` is its record's current one, not yet run or cancelled. */
  private liveAt(i: number): boolean {
    const event = this.events[i]!;
    return event.fn !== undefined && event.seq === this.seqs[i];
  }

  private dropCancelled(): void {
    while (this.count > 0 && !this.liveAt(0)) this.removeTop();
  }

  private removeTop(): void {
    const last = --this.count;
    const event = this.events[last]!;
    this.events[last] = undefined as unknown as SimEvent;
    if (last > 0) this.siftDown(0, event, this.times[last]!, this.seqs[last]!);
  }

  /** Place `event` at slot `i` or above, moving later parents down. */
  private siftUp(start: number, event: SimEvent, at: number, seq: number): void {
    const { times, seqs, events } = this;
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt < at || (pt === at && seqs[parent]! < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      events[i] = events[parent]!;
      i = parent;
    }
    times[i] = at;
    seqs[i] = seq;
    events[i] = event;
  }

  /** Place `event` at slot `i` or below, moving earlier children up. */
  private siftDown(start: number, event: SimEvent, at: number, seq: number): void {
    const { times, seqs, events } = this;
    const n = this.count;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && (times[r]! < times[l]! || (times[r] === times[l] && seqs[r]! < seqs[l]!))) c = r;
      const ct = times[c]!;
      if (!(ct < at || (ct === at && seqs[c]! < seq))) break;
      times[i] = ct;
      seqs[i] = seqs[c]!;
      events[i] = events[c]!;
      i = c;
    }
    times[i] = at;
    seqs[i] = seq;
    events[i] = event;
  }
}
