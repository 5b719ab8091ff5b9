import { expect, test } from '../../fixtures/index.ts';
import { sequenceDiagram } from '../../src/spawners/simulated/sequence-diagram.ts';
import { Trace, describeEvent, traceParty } from '../../src/spawners/simulated/trace.ts';

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

  test("the test's requests and their answers are drawn with what they carried, packets with their link sequence numbers", simulated, () => {
    const trace = new Trace(50, 2_000);
    const [tester, m1, m2] = [traceParty('test'), traceParty('m1'), traceParty('m2')];
    trace.add(1, 'api', tester, m1, 1, { type: 'api', call: 'call_node', detail: { type: 'call_node', nodeId: 'c-1', request: { type: 'add', amount: 2 } } });
    trace.add(2, 'deliver', m1, m2, 1.5, { type: 'data', from: 'c-1', to: 'c-2', inc: 'x', seq: 6, ackTo: { kind: 'sim', machineId: 'm1' }, message: { type: 'mirror', amount: 2 } });
    trace.add(3, 'answer', m1, tester, 3, { type: 'api', call: 'call_node', detail: { ok: true, result: { type: 'added', total: 2 } } });
    trace.add(4, 'answer', m2, tester, 4, { type: 'api', call: 'call_node', detail: { ok: false, error: { name: 'NodeError', message: 'no such key' } } });
    const svg = sequenceDiagram(trace.events, new Map());
    expect(svg).toContain('call_node c-1 add amount=2');
    expect(svg).toContain('#6 mirror amount=2');
    expect(svg).toContain('↩ ok {&quot;type&quot;:&quot;added&quot;,&quot;total&quot;:2}');
    expect(svg).toContain('↩ NodeError: no such key');
    expect(svg.match(/stroke-dasharray="5 3"/g)).toHaveLength(2);
    // The determinism check compares these lines: a request's and an answer's contents are in them.
    expect(trace.events.map(describeEvent)).toEqual([
      '1.000 api test>m1 call_node c-1 add amount=2',
      '2.000 deliver m1>m2 data c-1>c-2#6 mirror amount=2',
      '3.000 answer m1>test ok {"type":"added","total":2}',
      '4.000 answer m2>test NodeError: no such key',
    ]);
  });
});
