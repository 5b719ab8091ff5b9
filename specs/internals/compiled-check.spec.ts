/**
 * The simulator's fast paths must mean exactly what their slow originals mean: the compiled check
 * passes a value only where zod would accept it unchanged, and wireCopy gives what a JSON round
 * trip gives. Searched with fast-check over random values and a family of schemas.
 */
import fc from 'fast-check';
import { z } from 'zod';
import { expect, test } from '../../fixtures/index.ts';
import { compiledCheck } from '../../src/messages/compiled-check.ts';
import { packetSchema } from '../../src/messages/index.ts';
import { wireCopy } from '../../src/messages/wire-copy.ts';
import { sumMessage } from '../../systems/sum/messages.ts';

const simulated = { tag: '@simulated' };

const schemas: Record<string, z.ZodType> = {
  sumMessage,
  packet: packetSchema,
  ints: z.object({ type: z.literal('a'), n: z.number().int().min(0).max(10), list: z.array(z.number()) }),
  optional: z.object({ a: z.string().min(1).optional(), b: z.boolean().nullable() }),
  strict: z.strictObject({ a: z.string() }),
  loose: z.looseObject({ type: z.string().min(1) }),
  record: z.record(z.string(), z.enum(['x', 'y'])),
  defaults: z.object({ a: z.number().default(3) }),
  refined: z.object({ a: z.string().refine((s) => s.startsWith('k')) }),
  plainUnion: z.union([z.object({ a: z.string() }), z.object({ b: z.number() })]),
  nested: z.discriminatedUnion('type', [z.object({ type: z.literal('p'), at: z.object({ x: z.number().positive(), y: z.number().lt(5) }) }), z.object({ type: z.literal('q') })]),
};

/** Values near the schemas' shapes, with odd fields, NaN, -0, undefined and missing keys. */
const values = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constantFrom('a', 'p', 'q', 'x', 'y', 'k1', '', 'increment', 'data', 'ack', 'raw', 'hello', 'set_total', null, undefined, true, false, Number.NaN, -0, Infinity),
    fc.integer({ min: -3, max: 12 }),
    fc.double(),
    fc.string({ maxLength: 3 }),
  ),
  value: fc.oneof({ depthSize: 'small' }, tie('leaf'), tie('object'), fc.array(tie('leaf'), { maxLength: 3 })),
  object: fc.dictionary(fc.constantFrom('type', 'a', 'b', 'n', 'list', 'at', 'x', 'y', 'amount', 'total', 'seq', 'from', 'to', 'inc', 'message', 'extra'), tie('value'), { maxKeys: 5 }),
})).value;

/** A value each schema accepts, and whether the compiled check passes it itself. */
const known: Record<string, [unknown, boolean]> = {
  sumMessage: [{ type: 'increment', amount: 2 }, true],
  packet: [{ type: 'ack', from: 'a', to: 'b', inc: 'i', seq: 0 }, true],
  ints: [{ type: 'a', n: 3, list: [1.5] }, true],
  optional: [{ b: null }, true],
  strict: [{ a: '' }, true],
  loose: [{ type: 't', x: [1] }, true],
  record: [{ k: 'x' }, true],
  nested: [{ type: 'p', at: { x: 1, y: 2 } }, true],
  defaults: [{ a: 1 }, false],
  refined: [{ a: 'k' }, false],
  plainUnion: [{ a: '' }, false],
};

test.describe('fast paths', () => {
  for (const [name, schema] of Object.entries(schemas)) {
    test(`the compiled check of ${name} passes only what zod accepts unchanged`, simulated, () => {
      const check = compiledCheck(schema);
      let passed = 0;
      fc.assert(
        fc.property(values, (value) => {
          if (!check(value)) return;
          passed++;
          const parsed = schema.safeParse(value);
          expect(parsed.success).toBe(true);
          expect(parsed.data).toStrictEqual(value);
        }),
        { numRuns: 3000, seed: 1 },
      );
      // Not vacuous: a known good value takes the fast path, or (for what only zod can decide) zod.
      const [good, fast] = known[name]!;
      expect(schema.safeParse(good).success).toBe(true);
      expect(check(good)).toBe(fast);
    });
  }

  test('the compiled check refuses what zod refuses, and what zod would change goes to zod', simulated, () => {
    expect(compiledCheck(sumMessage)({ type: 'increment', amount: 1.5 })).toBe(false);
    expect(compiledCheck(sumMessage)({ type: 'increment', amount: 1, extra: true })).toBe(false);
    expect(compiledCheck(schemas.defaults!)({})).toBe(false);
    expect(compiledCheck(schemas.strict!)({ a: 'x', b: 1 })).toBe(false);
    // An enumerable key added to Object.prototype shows in every for-in: the count is off, and zod decides.
    const body = { type: 'increment', amount: 1 };
    expect(compiledCheck(sumMessage)(body)).toBe(true);
    // zod builds its discriminated union's lookup on first parse, walking objects with for-in: built
    // before the prototype is polluted, as in a process that has parsed one body already.
    expect(sumMessage.safeParse(body).success).toBe(true);
    Object.defineProperty(Object.prototype, 'polluted', { value: 1, enumerable: true, configurable: true });
    try {
      expect(compiledCheck(sumMessage)(body)).toBe(false);
      expect(sumMessage.safeParse(body).success).toBe(true);
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
    expect(compiledCheck(sumMessage)(body)).toBe(true);
  });

  test('wireCopy gives what a JSON round trip gives, and shares no object', simulated, () => {
    fc.assert(
      fc.property(fc.oneof(values, fc.jsonValue()), (value) => {
        if (value === undefined) return;
        const copy = wireCopy(value);
        expect(copy).toStrictEqual(JSON.parse(JSON.stringify(value)));
        if (typeof value === 'object' && value !== null) expect(copy).not.toBe(value);
      }),
      { numRuns: 3000, seed: 2 },
    );
    class Point {
      constructor(readonly x: number) {}
    }
    expect(wireCopy({ at: new Point(1), when: undefined, n: Number.NaN })).toStrictEqual({ at: { x: 1 }, n: null });
  });
});
