/**
 * A compiled fast path for zod schemas on the hottest path (every message a node sends). zod's
 * parse builds a new copy of every body and a result object for every call; for the plain shapes
 * node messages are made of, a predicate that only looks at the value is several times cheaper.
 *
 * The contract is one-sided: the predicate returns true only when zod would accept the value and
 * return it unchanged (no stripped keys, no defaults, no transforms). Anything it cannot mirror
 * exactly — a refinement, a string format, a default, a plain union — makes it return false, and
 * the caller falls back to zod, which either accepts (perhaps changing the value) or names the
 * problem. So a false never loses a message and a true never lets a bad one through.
 */
import type { z } from 'zod';

export type Check = (value: unknown) => boolean;

const never: Check = () => false;
const always: Check = () => true;

/** The zod internals this compiler reads (zod 4's `_zod.def`). */
interface Def {
  type: string;
  checks?: { _zod: { def: CheckDef } }[];
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  innerType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  values?: unknown[];
  entries?: Record<string, unknown>;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
}

interface CheckDef {
  check: string;
  format?: string;
  value?: number | bigint;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
}

const compiled = new WeakMap<z.ZodType, Check>();

/** The compiled check for a schema (made once per schema, then kept). */
export function compiledCheck(schema: z.ZodType): Check {
  let check = compiled.get(schema);
  if (!check) {
    check = compile(schema);
    compiled.set(schema, check);
  }
  return check;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function compile(schema: z.ZodType): Check {
  const def = defOf(schema);
  switch (def.type) {
    case 'unknown':
    case 'any':
      return always;
    case 'string':
      return withChecks(def, (v) => typeof v === 'string', lengthOf);
    case 'number':
      // zod 4 refuses NaN and ±Infinity.
      return withChecks(def, (v) => typeof v === 'number' && Number.isFinite(v), (v) => v as number);
    case 'boolean':
      return noChecks(def) ? (v) => typeof v === 'boolean' : never;
    case 'null':
      return (v) => v === null;
    case 'literal': {
      const values = def.values ?? [];
      return values.length === 1 ? ((only) => (v: unknown) => v === only)(values[0]) : (v) => values.includes(v);
    }
    case 'enum': {
      const values = Object.values(def.entries ?? {});
      if (!values.every((value) => typeof value === 'string')) return never;
      const set = new Set<unknown>(values);
      return (v) => set.has(v);
    }
    case 'optional':
      return orUndefined(compiledCheck(def.innerType!));
    case 'nullable': {
      const inner = compiledCheck(def.innerType!);
      return (v) => v === null || inner(v);
    }
    case 'array': {
      if (!noChecks(def)) return never;
      const element = compiledCheck(def.element!);
      return (v) => Array.isArray(v) && v.every(element);
    }
    case 'record':
      return compileRecord(def);
    case 'object':
      return compileObject(def);
    case 'union':
      return compileDiscriminated(def);
    default:
      // never, tuple, pipe, transform, default, lazy, ...: zod decides.
      return never;
  }
}

function orUndefined(inner: Check): Check {
  return (v) => v === undefined || inner(v);
}

function noChecks(def: Def): boolean {
  return !def.checks || def.checks.length === 0;
}

/** Number and length bounds and safe integers are mirrored; any other check leaves it to zod. */
function withChecks(def: Def, base: Check, measure: (v: unknown) => number): Check {
  if (noChecks(def)) return base;
  const parts: Check[] = [base];
  for (const { _zod } of def.checks!) {
    const c = _zod.def;
    if (c.check === 'number_format' && c.format === 'safeint') parts.push((v) => Number.isSafeInteger(v));
    else if ((c.check === 'greater_than' || c.check === 'less_than') && typeof c.value === 'number') {
      const bound = c.value;
      if (c.check === 'greater_than') parts.push(c.inclusive ? (v) => measure(v) >= bound : (v) => measure(v) > bound);
      else parts.push(c.inclusive ? (v) => measure(v) <= bound : (v) => measure(v) < bound);
    } else if (c.check === 'min_length' && c.minimum !== undefined) {
      const min = c.minimum;
      parts.push((v) => measure(v) >= min);
    } else if (c.check === 'max_length' && c.maximum !== undefined) {
      const max = c.maximum;
      parts.push((v) => measure(v) <= max);
    } else return never;
  }
  if (parts.length === 2) {
    const [first, second] = parts as [Check, Check];
    return (v) => first(v) && second(v);
  }
  return (v) => {
    for (const part of parts) if (!part(v)) return false;
    return true;
  };
}

function lengthOf(v: unknown): number {
  return (v as string).length;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  // zod's output is always an ordinary object: a null-prototype one would come out changed.
  return Object.getPrototypeOf(v) === Object.prototype;
}

/**
 * An object is kept as it is when every key of its shape checks and it has no other key: zod strips
 * unknown keys by default (a change), refuses them when strict, keeps them when loose.
 */
function compileObject(def: Def): Check {
  const fields = Object.entries(def.shape ?? {}).map(([key, schema]) => ({ key, optional: defOf(schema).type === 'optional', check: compiledCheck(schema) }));
  const catchallType = def.catchall ? defOf(def.catchall).type : undefined;
  const extraAllowed = catchallType === 'unknown' || catchallType === 'any';
  if (catchallType !== undefined && !extraAllowed && catchallType !== 'never') return never;
  const count = fields.length;
  return (v) => {
    if (!isPlainObject(v)) return false;
    let present = 0;
    for (let i = 0; i < count; i++) {
      const field = fields[i]!;
      const value = v[field.key];
      if (value === undefined && !Object.hasOwn(v, field.key)) {
        if (!field.optional) return false;
        continue;
      }
      present++;
      if (!field.check(value)) return false;
    }
    if (extraAllowed) return true;
    // A plain object's for-in sees its own keys and Object.prototype's enumerable ones, of which
    // there are none unless something added one: then the count is off, and zod decides (the
    // one-sided contract holds). Not asking each key whether it is own saves a call per key.
    let keys = 0;
    for (const _ in v) keys++;
    return keys === present;
  };
}

function compileRecord(def: Def): Check {
  const keyDef = defOf(def.keyType!);
  if (keyDef.type !== 'string' || !noChecks(keyDef)) return never;
  const value = compiledCheck(def.valueType!);
  return (v) => {
    if (!isPlainObject(v)) return false;
    for (const key in v) if (Object.hasOwn(v, key) && !value(v[key])) return false;
    return true;
  };
}

/** A discriminated union picks its option by the discriminator's literal; a plain union is left to zod. */
function compileDiscriminated(def: Def): Check {
  const key = def.discriminator;
  if (!key) return never;
  const byValue = new Map<unknown, Check>();
  for (const option of def.options ?? []) {
    const optionDef = defOf(option);
    const tag = optionDef.type === 'object' ? optionDef.shape?.[key] : undefined;
    const tagDef = tag && defOf(tag);
    if (!tagDef || tagDef.type !== 'literal') return never;
    for (const value of tagDef.values ?? []) byValue.set(value, compiledCheck(option));
  }
  return (v) => {
    if (!isPlainObject(v)) return false;
    const check = byValue.get(v[key]);
    return check !== undefined && check(v);
  };
}
