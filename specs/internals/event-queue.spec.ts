/**
 * The simulator's agenda against a model: a list of live (time, order, record) entries. Records
 * are reused as the simulator reuses them (a link's delayed ack is one record, armed again and
 * again): inserted again after they ran or were cancelled, while the entries they left behind are
 * still in the heap. Whatever the operations, the agenda pops what the model says, in its order.
 */
import fc from 'fast-check';
import { expect, test } from '../../fixtures/index.ts';
import { EventQueue, type SimEvent } from '../../src/spawners/simulated/event-queue.ts';

class Rec implements SimEvent {
  at = 0;
  seq = 0;
  fn: ((arg: never) => void) | undefined = undefined;
  readonly arg = this;
  constructor(readonly name: number) {}
}

const run = (): void => undefined;

type Op = { op: 'arm' | 'rearm'; rec: number; at: number } | { op: 'cancel'; rec: number } | { op: 'pop' };

// Few records and many re-arms: a cancelled entry left in the heap, its record armed again before a
// pop drops it, is the case a record's reuse must get right.
const rec = fc.nat(2);
const at = fc.integer({ min: 0, max: 100 });
const operations = fc.array(
  fc.oneof(
    { arbitrary: fc.record({ op: fc.constant('arm' as const), rec, at }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('rearm' as const), rec, at }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('cancel' as const), rec }), weight: 1 },
    { arbitrary: fc.constant({ op: 'pop' as const }), weight: 2 },
  ),
  { maxLength: 400 },
);

test('the agenda pops live events in time then insertion order, records reused after they ran or were cancelled', { tag: '@simulated' }, () => {
  fc.assert(
    fc.property(operations, (sequence: Op[]) => {
      const queue = new EventQueue();
      const recs = Array.from({ length: 3 }, (_, i) => new Rec(i));
      // The model: each armed record's time and insertion order.
      const armed = new Map<number, { at: number; order: number }>();
      let order = 0;
      let now = 0;
      for (const step of sequence) {
        if (step.op === 'rearm' && armed.has(step.rec)) {
          // Withdrawn and armed again at once, as a delayed ack is when a packet carries it.
          queue.cancel(recs[step.rec]!);
          armed.delete(step.rec);
        }
        if (step.op === 'arm' || step.op === 'rearm') {
          if (armed.has(step.rec)) continue; // the simulator arms only what is not armed
          const record = recs[step.rec]!;
          record.at = Math.max(now, step.at);
          record.fn = run;
          queue.insert(record);
          armed.set(step.rec, { at: record.at, order: order++ });
        } else if (step.op === 'cancel') {
          queue.cancel(recs[step.rec]!);
          armed.delete(step.rec);
        } else {
          const expected = [...armed].sort((x, y) => x[1].at - y[1].at || x[1].order - y[1].order)[0];
          expect(queue.peekTime()).toBe(expected?.[1].at);
          const popped = queue.pop() as Rec | undefined;
          expect(popped?.name).toBe(expected?.[0]);
          if (expected) {
            armed.delete(expected[0]);
            now = expected[1].at;
          }
        }
        expect(queue.size).toBe(armed.size);
      }
    }),
    { numRuns: 500, seed: 3 },
  );
});

test("sweeping out cancelled entries keeps every live one, a re-armed record's included, in order", { tag: '@simulated' }, () => {
  const queue = new EventQueue();
  const recs = Array.from({ length: 100 }, (_, i) => new Rec(i));
  const arm = (r: Rec, at: number) => {
    r.at = at;
    r.fn = run;
    queue.insert(r);
  };
  recs.forEach((r, i) => arm(r, (i * 37) % 100));
  // Cancelling 60 of 100 sweeps the heap (more than half its entries are dead); 30 come back later.
  for (const r of recs.slice(0, 60)) queue.cancel(r);
  for (const r of recs.slice(0, 30)) arm(r, 100 + r.name);
  expect(queue.size).toBe(70);
  const expected = [...recs.slice(60).sort((a, b) => a.at - b.at), ...recs.slice(0, 30)].map((r) => r.name);
  const popped: number[] = [];
  for (let r = queue.pop() as Rec | undefined; r; r = queue.pop() as Rec | undefined) popped.push(r.name);
  expect(popped).toEqual(expected);
});
