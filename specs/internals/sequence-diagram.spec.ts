import { expect, test } from '../../fixtures/index.ts';
import { sequenceDiagram } from '../../src/spawners/simulated/sequence-diagram.ts';
import { Trace, traceParty } from '../../src/spawners/simulated/trace.ts';

const simulated = { tag: '@simulated' };

/** A run of `n` deliveries m1 -> m2, message i carrying `i`, one per virtual ms. */
function run(n: number, keep: number): Trace {
  const trace = new Trace(50, keep);
  const [m1, m2] = [traceParty('m1'), traceParty('m2')];
  for (let i = 0; i < n; i++) {
    trace.add(i, 'deliver', m1, m2, i, { type: 'data', from: 'a', to: 'b', inc: 'x', seq: i + 1, ackTo: { kind: 'sim', machineId: 'm1' }, message: { type: 'note', i } });
  }
  return trace;
}

test.describe('sequence diagram', () => {
  test('a long run is drawn at its end, where a failure is, and the caption says which part is shown', simulated, () => {
    const trace = run(5_000, 2_000);
    expect(trace.dropped).toBe(3_000);
    expect(trace.events[0]!.t).toBe(3_000);
    const svg = sequenceDiagram(trace.events, new Map([['m1', 'one'], ['m2', 'two']]), { maxArrows: 10, earlier: trace.dropped });
    // Arrows are labelled with a summary of their body: the last one is there, the first is not.
    expect(svg).toContain('note i=4999');
    expect(svg).not.toContain('note i=0<');
    expect(svg).toContain('the last 10 messages before the end of the run, 4990.0 to 4999.0 virtual ms (4990 earlier events not shown)');
  });

  test('a short run is drawn whole', simulated, () => {
    const trace = run(3, 2_000);
    const svg = sequenceDiagram(trace.events, new Map(), { earlier: trace.dropped });
    expect(svg).toContain('the whole run: 3 messages, 0.0 to 2.0 virtual ms');
  });
});
