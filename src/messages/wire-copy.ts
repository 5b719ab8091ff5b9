/**
 * What a body looks like after crossing a wire: the simulator's test calls and answers go through
 * this, so a node sees exactly what it would see on a real machine (NaN as null, no undefined
 * fields, no class instances) and shares no object with the test. Plain JSON data — the usual case
 * — is copied directly, several times faster than a JSON round trip; anything JSON would change
 * takes the round trip itself, so the result is always JSON's.
 */
export function wireCopy<T>(value: T): T {
  const copied = copyPlain(value, 0);
  return (copied === NOT_PLAIN ? JSON.parse(JSON.stringify(value)) : copied) as T;
}

const NOT_PLAIN = Symbol('not plain JSON');
/** Deeper than this, take the round trip (it also reports cycles). */
const MAX_DEPTH = 64;

function copyPlain(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // JSON writes NaN and ±Infinity as null, and -0 as 0.
      return Number.isFinite(value) && !Object.is(value, -0) ? value : NOT_PLAIN;
    case 'object': {
      if (value === null) return null;
      if (depth > MAX_DEPTH) return NOT_PLAIN;
      if (Array.isArray(value)) {
        const out = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) {
          const item = copyPlain(value[i], depth + 1);
          if (item === NOT_PLAIN) return NOT_PLAIN;
          out[i] = item;
        }
        return out;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
      const out: Record<string, unknown> = {};
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        const item = copyPlain((value as Record<string, unknown>)[key], depth + 1);
        if (item === NOT_PLAIN) return NOT_PLAIN;
        out[key] = item;
      }
      return out;
    }
    default:
      // undefined, functions, symbols, bigints: JSON drops them, refuses them or writes null.
      return NOT_PLAIN;
  }
}
