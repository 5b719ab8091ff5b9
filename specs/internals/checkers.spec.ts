/**
 * The history checkers (src/checkers): linearizability of registers with its minimal window and its
 * bound, the set and counter checkers, the recorder and the timeline. Histories are written by hand
 * where the answer is known, and generated with fast-check where a property must hold for all.
 */
import fc from 'fast-check';
import { expect, test } from '../../fixtures/index.ts';
import {
  HistoryRecorder,
  checkCounter,
  checkLinearizable,
  checkSet,
  historyTable,
  plannedRegisterHistory,
  randomRegisterPlan,
  setAdds,
  timelineSvg,
  type Operation,
  type PlannedOperation,
  type Value,
} from '../../src/checkers/index.ts';

const simulated = { tag: '@simulated' };

/** A tiny language for hand-written histories: each call adds one operation with the next id. */
function historyOf(build: (op: Builder) => void): Operation[] {
  const operations: Operation[] = [];
  const common = (process: number, invokedAt: number, completedAt: number | undefined, key?: string) => ({ id: operations.length, process, invokedAt, completedAt, ...(key === undefined ? {} : { key }) });
  const ok = <V>(value: V) => ({ type: 'ok' as const, value });
  build({
    w: (p, at, to, value, key) => void operations.push({ ...common(p, at, to, key), op: 'write', args: value, outcome: ok(null) }),
    wInfo: (p, at, to, value, key) => void operations.push({ ...common(p, at, to, key), op: 'write', args: value, outcome: { type: 'info' } }),
    r: (p, at, to, value, key) => void operations.push({ ...common(p, at, to, key), op: 'read', args: null, outcome: ok(value) }),
    rInfo: (p, at, to, key) => void operations.push({ ...common(p, at, to, key), op: 'read', args: null, outcome: { type: 'info' } }),
    cas: (p, at, to, from, into, result, key) =>
      void operations.push({ ...common(p, at, to, key), op: 'cas', args: { from, to: into }, outcome: result === 'fail' ? { type: 'fail' } : result === 'info' ? { type: 'info' } : ok(result) }),
  });
  return operations;
}
interface Builder {
  w(process: number, invokedAt: number, completedAt: number, value: Value, key?: string): void;
  wInfo(process: number, invokedAt: number, completedAt: number | undefined, value: Value, key?: string): void;
  r(process: number, invokedAt: number, completedAt: number, value: Value, key?: string): void;
  rInfo(process: number, invokedAt: number, completedAt: number | undefined, key?: string): void;
  cas(process: number, invokedAt: number, completedAt: number, from: Value, to: Value, result: boolean | 'fail' | 'info', key?: string): void;
}

const ids = (operations: readonly Operation[]) => operations.map((o) => o.id);

test.describe('linearizability of registers', () => {
  test('known linearizable histories pass', simulated, () => {
    const cases: Record<string, Operation[]> = {
      empty: [],
      'a read of a key never written': historyOf((h) => h.r(0, 0, 1, null)),
      'sequential write then read': historyOf((h) => {
        h.w(0, 0, 1, 1);
        h.r(1, 2, 3, 1);
      }),
      // The read overlaps both writes: it may see either, and the two reads may disagree in real-time order only as allowed.
      'concurrent writes, reads see either': historyOf((h) => {
        h.w(0, 0, 10, 1);
        h.w(1, 0, 10, 2);
        h.r(2, 1, 3, 2);
        h.r(2, 4, 12, 1);
        h.r(3, 11, 12, 1);
      }),
      'an info write that took effect late': historyOf((h) => {
        h.wInfo(0, 0, 1, 5);
        h.r(1, 2, 3, null);
        h.r(1, 10, 11, 5);
      }),
      'an info write that never took effect': historyOf((h) => {
        h.w(0, 0, 1, 1);
        h.wInfo(1, 2, undefined, 9);
        h.r(0, 5, 6, 1);
        h.r(0, 7, 8, 1);
      }),
      'cas ok, cas refused (ok false), cas fail dropped, info read dropped': historyOf((h) => {
        h.w(0, 0, 1, 1);
        h.cas(0, 2, 3, 1, 2, true);
        h.cas(1, 4, 5, 1, 3, false);
        h.cas(1, 6, 7, 7, 8, 'fail');
        h.rInfo(2, 6, undefined);
        h.r(2, 8, 9, 2);
      }),
      'an info cas that took effect': historyOf((h) => {
        h.w(0, 0, 1, 1);
        h.cas(1, 2, 3, 1, 4, 'info');
        h.r(0, 10, 11, 4);
      }),
      'keys are independent registers': historyOf((h) => {
        h.w(0, 0, 1, 1, 'x');
        h.w(0, 2, 3, 2, 'y');
        h.r(1, 4, 5, 1, 'x');
        h.r(1, 6, 7, 2, 'y');
      }),
    };
    for (const [name, history] of Object.entries(cases)) {
      expect(checkLinearizable(history).verdict, `${name}\n${historyTable(history)}`).toBe('linearizable');
    }
  });

  test('known violations are caught', simulated, () => {
    const cases: Record<string, Operation[]> = {
      'a value never written': historyOf((h) => h.r(0, 0, 1, 7)),
      'a stale read': historyOf((h) => {
        h.w(0, 0, 1, 1);
        h.w(0, 2, 3, 2);
        h.r(1, 4, 5, 1);
      }),
      // Two sequential reads by others can't see the concurrent writes in opposite orders.
      'reads disagree on the order of two writes': historyOf((h) => {
        h.w(0, 0, 10, 1);
        h.w(1, 0, 10, 2);
        h.r(2, 11, 12, 1);
        h.r(3, 13, 14, 2);
        h.r(2, 15, 16, 1);
      }),
      'a cas that swapped from a value not there': historyOf((h) => {
        h.w(0, 0, 1, 1);
        h.cas(0, 2, 3, 5, 6, true);
      }),
      'a cas refused though the value was there': historyOf((h) => {
        h.w(0, 0, 1, 1);
        h.cas(0, 2, 3, 1, 6, false);
      }),
      'a failed cas that shows up anyway': historyOf((h) => {
        h.w(0, 0, 1, 1);
        h.cas(0, 2, 3, 1, 6, 'fail');
        h.r(1, 4, 5, 6);
      }),
      'an info write cannot take effect before its invocation': historyOf((h) => {
        h.r(1, 0, 1, 5);
        h.wInfo(0, 2, undefined, 5);
      }),
    };
    for (const [name, history] of Object.entries(cases)) {
      expect(checkLinearizable(history).verdict, `${name}\n${historyTable(history)}`).toBe('violation');
    }
  });

  test('the window is the minimal contradiction, on the violating key', simulated, () => {
    const history = historyOf((h) => {
      h.w(0, 0, 1, 1, 'other'); // 0: another key, fine
      h.w(0, 0, 10, 1, 'x'); // 1
      h.r(2, 11, 14, 2, 'x'); // 2: concurrent with 3, sees its 2
      h.w(1, 12, 13, 2, 'x'); // 3
      h.r(1, 15, 16, 1, 'x'); // 4: after 3 completed: stale
      h.w(0, 20, 21, 3, 'x'); // 5: later, irrelevant
      h.wInfo(3, 0, undefined, 9, 'x'); // 6: unknown, cannot explain a 1
    });
    const result = checkLinearizable(history);
    expect(result.verdict).toBe('violation');
    if (result.verdict !== 'violation') return;
    expect(result.key).toBe('x');
    // "w 2 completed, then r 1 began": true whatever happened before, and both are needed.
    expect(ids(result.window)).toEqual([3, 4]);
    expect(result.window[0]).toBe(history[3]);
    expect(result.keys.map(({ key, verdict }) => ({ key, verdict }))).toEqual([
      { key: 'other', verdict: 'linearizable' },
      { key: 'x', verdict: 'violation' },
    ]);
  });

  test("a stale read's window is the write it missed and the read; an invented value's is the read alone", simulated, () => {
    // Whatever happened before the write of 2, a read of 1 after it completed is impossible.
    const history = historyOf((h) => {
      h.w(0, 0, 1, 1);
      h.w(0, 2, 3, 2);
      h.r(1, 4, 5, 1);
      h.r(1, 6, 7, 1);
    });
    const result = checkLinearizable(history);
    expect(result.verdict === 'violation' && ids(result.window)).toEqual([1, 2]);
    // A read of a value nobody wrote is its own window.
    const invented = historyOf((h) => {
      h.w(0, 0, 1, 1);
      h.r(1, 2, 3, 1);
      h.r(1, 4, 5, 42);
      h.w(0, 6, 7, 2);
    });
    const alone = checkLinearizable(invented);
    expect(alone.verdict === 'violation' && ids(alone.window)).toEqual([2]);
  });

  test('a history too big for the bound is unknown, never a pass', simulated, () => {
    const history = plannedRegisterHistory(randomRegisterPlan({ seed: 5, operations: 2_000, keys: 2, processes: 5 }));
    expect(checkLinearizable(history).verdict).toBe('linearizable');
    const bounded = checkLinearizable(history, { maxSteps: 100 });
    expect(bounded.verdict).toBe('unknown');
    expect(bounded.verdict === 'unknown' && bounded.reason).toContain('100 search steps');
    expect(bounded.keys.every((k) => k.verdict === 'unknown' && k.steps === 101)).toBe(true);
  });

  test('many concurrent info writes against an impossible read: unknown within the bound, not a pass', simulated, () => {
    // 40 unknown writes, all overlapping, then a read of a value none wrote: the search must try
    // every subset and order of the writes before it can say no.
    const history = historyOf((h) => {
      for (let i = 0; i < 40; i++) h.wInfo(i, 0, undefined, i);
      for (let i = 0; i < 40; i++) h.r(100, 10 + 2 * i, 11 + 2 * i, i);
      h.r(100, 200, 201, 'never');
    });
    const result = checkLinearizable(history, { maxSteps: 20_000 });
    expect(result.verdict).toBe('unknown');
    expect(result.keys).toEqual([{ key: '', operations: 81, dropped: 0, steps: 20_001, verdict: 'unknown' }]);
  });

  const plannedOperation: fc.Arbitrary<PlannedOperation> = fc.record({
    process: fc.integer({ min: 0, max: 4 }),
    key: fc.constantFrom('a', 'b'),
    op: fc.constantFrom('read', 'write', 'cas'),
    value: fc.integer({ min: 0, max: 3 }),
    from: fc.integer({ min: 0, max: 3 }),
    gap: fc.integer({ min: 0, max: 3 }),
    duration: fc.integer({ min: 1, max: 8 }),
    at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    fate: fc.constantFrom('ok', 'ok', 'ok', 'ok', 'info-applied', 'info-lost'),
    refusal: fc.constantFrom('fail', 'ok-false'),
  });

  test('property: histories of the sequential register with random overlaps are linearizable', simulated, () => {
    fc.assert(
      fc.property(fc.array(plannedOperation, { maxLength: 60 }), (plan) => {
        const history = plannedRegisterHistory(plan);
        const result = checkLinearizable(history);
        if (result.verdict !== 'linearizable') throw new Error(`${result.verdict}\n${historyTable(history)}`);
      }),
      { numRuns: 300, seed: 20240614 },
    );
  });

  test("property: flipping one read's value in a sequential history is caught, and the read is in the window", simulated, () => {
    fc.assert(
      fc.property(
        fc.array(plannedOperation.map((o) => ({ ...o, process: 0, fate: 'ok' as const, gap: o.gap + 1 })), { minLength: 1, maxLength: 40 }),
        fc.nat(),
        fc.integer({ min: 1, max: 3 }),
        (plan, pick, shift) => {
          // One process, a gap before each operation (touching intervals count as concurrent): one order.
          const history = plannedRegisterHistory(plan);
          const reads = history.filter((o): o is Operation<'read'> => o.op === 'read' && o.outcome.type === 'ok');
          fc.pre(reads.length > 0);
          const read = reads[pick % reads.length] as Operation<'read'>;
          const before = read.outcome.type === 'ok' ? read.outcome.value : null;
          read.outcome = { type: 'ok', value: typeof before === 'number' ? (before + shift) % 4 === before ? 9 : (before + shift) % 4 : shift };
          const result = checkLinearizable(history);
          if (result.verdict !== 'violation') throw new Error(`${result.verdict}\n${historyTable(history)}`);
          expect(result.key).toBe(read.key);
          expect(result.window).toContain(read);
        },
      ),
      { numRuns: 300, seed: 20240615 },
    );
  });
});

test.describe('history recorder', () => {
  test('records invocation and completion, ok / fail / info by the predicate, and what is still in flight', simulated, async () => {
    let time = 0;
    class Refused extends Error {}
    const recorder = new HistoryRecorder({ now: () => time++, isDefiniteFailure: (error) => error instanceof Refused });
    const written = await recorder.record(0, { op: 'write', key: 'x', args: 3 }, async () => undefined);
    const read = await recorder.record(1, { op: 'read', key: 'x', args: null }, async () => 3);
    const refused = await recorder.record(0, { op: 'cas', key: 'x', args: { from: 1, to: 2 } }, async () => {
      throw new Refused('precondition failed');
    });
    const timedOut = await recorder.record(1, { op: 'write', key: 'x', args: 4 }, async () => {
      throw new Error('timeout');
    });
    const swapped = await recorder.record(0, { op: 'cas', key: 'x', args: { from: 3, to: 5 } }, async () => true);
    void recorder.record(2, { op: 'read', key: 'x', args: null }, () => new Promise<Value>(() => {}));
    expect(written).toMatchObject({ id: 0, process: 0, op: 'write', invokedAt: 0, completedAt: 1, outcome: { type: 'ok', value: null } });
    expect(read.outcome).toEqual({ type: 'ok', value: 3 });
    expect(refused.outcome).toEqual({ type: 'fail', error: 'Error: precondition failed' });
    expect(timedOut.outcome).toEqual({ type: 'info', error: 'Error: timeout' });
    expect(swapped.outcome).toEqual({ type: 'ok', value: true });
    const history = recorder.history();
    expect(history).toHaveLength(6);
    expect(history[5]).toMatchObject({ op: 'read', completedAt: undefined, outcome: { type: 'info' } });
    expect(checkLinearizable(history).verdict).toBe('linearizable');
    const table = historyTable(history);
    expect(table.split('\n')[0]).toMatch(/^id\s+process\s+key\s+op\s+invoked\s+completed\s+outcome$/);
    expect(table).toContain('cas 1→2');
    expect(table).toContain('info (Error: timeout)');
    expect(table.split('\n')).toHaveLength(2 + 6);
    expect(table).not.toContain('note');
  });

  test('notes ride along, given with the invocation or set once the answer says, and the checkers ignore them', simulated, async () => {
    let time = 0;
    const recorder = new HistoryRecorder({ now: () => time++ });
    await recorder.record(0, { op: 'write', key: 'x', args: 1, note: 'to primary' }, async () => undefined);
    const read = await recorder.record(1, { op: 'read', key: 'x', args: null }, async () => 0);
    read.note = 'served by backup';
    const history = recorder.history();
    expect(history.map((o) => o.note)).toEqual(['to primary', 'served by backup']);
    const table = historyTable(history).split('\n');
    expect(table[0]).toMatch(/outcome\s+note$/);
    expect(table[3]).toMatch(/r 0\s+2\s+3\s+ok\s+served by backup$/);
    expect(timelineSvg(history)).toContain('(served by backup)</title>');
    // The stale read is a violation, notes or not.
    const result = checkLinearizable(history);
    expect(result.verdict).toBe('violation');
    const plain = history.map(({ note: _, ...o }) => o as Operation);
    expect(checkLinearizable(plain)).toEqual(result.verdict === 'violation' ? { ...result, window: result.window.map(({ note: _, ...o }) => o) } : result);
  });
});

test.describe('set and counter checkers', () => {
  test('set: lost, unexpected and recovered elements', simulated, () => {
    const history = historyOf(() => {});
    history.push(
      { id: 0, process: 0, op: 'add', args: 1, invokedAt: 0, completedAt: 1, outcome: { type: 'ok', value: null } },
      { id: 1, process: 0, op: 'add', args: 2, invokedAt: 2, completedAt: 3, outcome: { type: 'ok', value: null } },
      { id: 2, process: 1, op: 'add', args: 3, invokedAt: 2, completedAt: 9, outcome: { type: 'info' } },
      { id: 3, process: 1, op: 'add', args: 4, invokedAt: 2, completedAt: 9, outcome: { type: 'fail' } },
    );
    const { acknowledged, attempted } = setAdds(history);
    expect({ acknowledged, attempted }).toEqual({ acknowledged: [1, 2], attempted: [3] });
    expect(checkSet({ acknowledged, attempted, reads: { n1: [1, 2], n2: [2, 1, 3] } })).toEqual({
      valid: true,
      lost: [],
      lostBy: {},
      unexpected: [],
      recovered: [3],
      counts: { acknowledged: 2, attempted: 1, lost: 0, unexpected: 0, recovered: 1, nodes: 2 },
    });
    const broken = checkSet({ acknowledged, attempted, reads: new Map([['n1', [1]], ['n2', [1, 2, 4, 99]]]) });
    expect(broken).toMatchObject({ valid: false, lost: [2], lostBy: { n1: [2] }, unexpected: [4, 99], recovered: [] });
    expect(broken.counts).toMatchObject({ lost: 1, unexpected: 2 });
  });

  test('counter: each read between what surely happened before it and what may have', simulated, () => {
    const inc = (id: number, invokedAt: number, completedAt: number, delta: number, type: 'ok' | 'info' | 'fail' = 'ok'): Operation => ({
      id, process: id, op: 'add', args: delta, invokedAt, completedAt, outcome: type === 'ok' ? { type, value: null } : { type },
    });
    const read = (id: number, invokedAt: number, completedAt: number, value: number): Operation => ({ id, process: 'reader', op: 'read', args: null, invokedAt, completedAt, outcome: { type: 'ok', value } });
    const history = [
      inc(0, 0, 1, 1),
      inc(1, 0, 10, 2), // concurrent with reads 10 and 11
      inc(2, 3, 4, 5, 'info'),
      inc(3, 0, 1, 100, 'fail'), // never happened
      read(10, 2, 5, 1), // ≥ 1 (inc 0), ≤ 1 + 2 + 5
      read(11, 6, 7, 8),
      read(12, 11, 12, 3), // inc 1 done: ≥ 3; ≤ 8
    ];
    expect(checkCounter(history)).toEqual({ valid: true, reads: 3, adds: 3, errors: [] });
    const wrong = [...history, read(13, 11, 12, 2), read(14, 11, 12, 9), read(15, 2, 3, 100)];
    const result = checkCounter(wrong);
    expect(result.valid).toBe(false);
    expect(result.errors.map(({ read, value, lower, upper }) => ({ id: read.id, value, lower, upper }))).toEqual([
      { id: 15, value: 100, lower: 1, upper: 8 },
      { id: 13, value: 2, lower: 3, upper: 8 },
      { id: 14, value: 9, lower: 3, upper: 8 },
    ]);
    // A decrement that may have happened lowers the lower bound.
    expect(checkCounter([inc(0, 0, 1, 5), inc(1, 2, 9, -3, 'info'), read(2, 3, 4, 2)]).valid).toBe(true);
    // `add` is a set's and a counter's (as in Jepsen): keys keep them apart, and a set's add is no counter's.
    const setAdd: Operation = { id: 20, process: 9, key: 's', op: 'add', args: 'x', invokedAt: 0, completedAt: 1, outcome: { type: 'ok', value: null } };
    const mixed = [...history.map((o) => ({ ...o, key: 'c' })), setAdd];
    expect(checkCounter(mixed, { key: 'c' })).toEqual({ valid: true, reads: 3, adds: 3, errors: [] });
    expect(setAdds(mixed, { key: 's' })).toEqual({ acknowledged: ['x'], attempted: [] });
    expect(() => checkCounter(mixed)).toThrow('checkCounter: operation 20 on key s adds "x", not a finite number');
  });
});

test.describe('timeline', () => {
  test('one lane per process, bars labelled, the window marked, valid SVG', simulated, () => {
    const history = historyOf((h) => {
      h.w(0, 0, 1, 1);
      h.w(0, 2, 3, 2);
      h.r(1, 4, 5, 1);
      h.cas(2, 0, 6, 1, 2, 'fail');
      h.wInfo(3, 1, undefined, 7);
      h.r(1, 6, 7, 2);
    });
    history[4]!.process = 'client <3>';
    const result = checkLinearizable(history);
    expect(result.verdict).toBe('violation');
    const window = result.verdict === 'violation' ? result.window : [];
    const svg = timelineSvg(history, { marked: window });
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg.match(/<g class="lane"/g)).toHaveLength(4);
    expect(svg).toContain('data-process="client &lt;3&gt;"');
    for (const label of ['w 1', 'w 2', 'r 1', 'cas 1→2', 'w 7']) expect(svg).toContain(`>${label}</text>`);
    const marked = [...svg.matchAll(/<g class="op marked" data-id="(\d+)"/g)].map((m) => Number(m[1]));
    expect(marked).toEqual(ids(window).sort());
    expect(marked.length).toBeGreaterThan(0);
    // Well-formed: every element closed, no attribute twice on one element.
    const opened = (svg.match(/<(g|svg)[\s>]/g) ?? []).length;
    expect((svg.match(/<\/(g|svg)>/g) ?? []).length).toBe(opened);
    for (const tag of svg.match(/<[a-z][^>]*>/g) ?? []) {
      const names = [...tag.matchAll(/\s([a-z-]+)=/g)].map((m) => m[1]);
      expect(new Set(names).size, tag).toBe(names.length);
    }
  });

  test('around a window: only the stretch it spans is drawn, its bars wide enough to read, the axis in ms', simulated, () => {
    // A long run of one client's writes, and at its end two overlapping operations.
    const history = historyOf((h) => {
      for (let i = 0; i < 100; i++) h.w(0, i * 10, i * 10 + 1, i);
      h.w(1, 1000, 1010.25, 100);
      h.r(2, 1001.5, 1003, 99);
    });
    const window = history.slice(-2);
    const whole = timelineSvg(history, { marked: window });
    const around = timelineSvg(history, { marked: window, around: window });
    const barWidth = (svg: string, id: number) => Number(new RegExp(`data-id="${id}"><title>[^<]*</title><rect x="[^"]*" y="[^"]*" width="([^"]*)"`).exec(svg)![1]);
    expect(barWidth(whole, window[1]!.id)).toBeLessThan(5);
    expect(barWidth(around, window[1]!.id)).toBeGreaterThan(50);
    // The writes long before the window are left out; the axis says where the drawing starts and ends.
    expect(whole).toContain('>w 0</text>');
    expect(around).not.toContain('>w 0</text>');
    expect(around).toContain('>997.4 ms</text>');
    expect(around).toContain('>1012.8 ms</text>');
    expect(whole).toContain('>0 ms</text>');
  });
});
