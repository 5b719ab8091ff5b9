/**
 * Defining node kinds and grouping them into systems. A kind is a name, zod schemas for everything
 * that crosses its boundary (its config, the messages it accepts, the state it journals, the
 * requests it answers and their replies) and the class that implements it. The framework checks
 * every body against these schemas, in every mode; it knows nothing else of any system.
 */
import { z } from 'zod';
import type { Body } from '../messages/index.ts';
import { InvalidBodyError, UnknownKindError, type BodyRole } from '../runtime/errors.ts';
import type { MachineController } from '../runtime/machine-controller.ts';
import { compiledCheck } from '../messages/compiled-check.ts';
import type { Node } from './node.ts';

/** One request a node answers: its arguments (besides `type`) and its reply. */
export interface RequestSchemas {
  args: z.ZodObject;
  reply: z.ZodType;
}

/** Everything of a kind that crosses its boundary, as zod schemas. */
export interface KindSchemas {
  config: z.ZodType;
  /** The messages it accepts from other nodes (and from the test's `send`): objects with a `type`. */
  messages: z.ZodType<Body>;
  state: z.ZodType;
  requests: Record<string, RequestSchemas>;
}

export type ConfigOf<S extends KindSchemas> = z.output<S['config']>;
/** What `spawn` takes (defaults may be left out). */
export type ConfigInput<S extends KindSchemas> = z.input<S['config']>;
export type MessageOf<S extends KindSchemas> = z.output<S['messages']>;
export type StateOf<S extends KindSchemas> = z.output<S['state']>;
export type RequestName<S extends KindSchemas> = keyof S['requests'] & string;
/** An empty zod object infers as Record<string, never>, which no `{ type }` satisfies: read it as {}. */
type Fields<T> = string extends keyof T ? {} : T;
/** A request as the node sees it. */
export type RequestOf<S extends KindSchemas, T extends RequestName<S> = RequestName<S>> = {
  [N in T]: { type: N } & Fields<z.output<S['requests'][N]['args']>>;
}[T];
/** A request as a client writes it. */
export type RequestInput<S extends KindSchemas, T extends RequestName<S> = RequestName<S>> = {
  [N in T]: { type: N } & Fields<z.input<S['requests'][N]['args']>>;
}[T];
export type ReplyOf<S extends KindSchemas, T extends RequestName<S> = RequestName<S>> = {
  [N in T]: z.output<S['requests'][N]['reply']>;
}[T];

/** What a node is made from when it starts (or restarts) on a machine. */
export interface NodeInit<S extends KindSchemas = KindSchemas> {
  id: string;
  name: string;
  kind: string;
  config: ConfigOf<S>;
  controller: MachineController;
}

export interface NodeKind<S extends KindSchemas = KindSchemas> {
  readonly name: string;
  readonly schemas: S;
  create(init: NodeInit<S>): Node<S>;
}

/** Define a node kind: its name, its schemas and the class that implements it. */
export function defineNode<S extends KindSchemas>(name: string, schemas: S, implementation: new (init: NodeInit<S>) => Node<S>): NodeKind<S> {
  if (!/^[a-z][a-z0-9_.-]*$/i.test(name)) throw new Error(`a node kind's name is letters, digits, _ . - (got "${name}")`);
  return { name, schemas, create: (init) => new implementation(init) };
}

/** A kind that accepts no messages at all. */
export const noMessages = z.never() as unknown as z.ZodType<never>;

export interface System {
  readonly name: string;
  readonly kinds: readonly NodeKind<any>[];
}

/** Group the kinds of one system under a name. */
export function defineSystem(name: string, kinds: readonly NodeKind<any>[]): System {
  return { name, kinds };
}

/**
 * The kinds a machine can run, built from the systems a project names (its systems module, see
 * README). The test process and every machine bundle build it from that same list.
 */
export class Registry {
  private readonly kinds = new Map<string, NodeKind>();

  constructor(readonly systems: readonly System[]) {
    for (const system of systems) {
      for (const kind of system.kinds) {
        if (this.kinds.has(kind.name)) throw new Error(`node kind "${kind.name}" is defined twice (system ${system.name})`);
        this.kinds.set(kind.name, kind);
      }
    }
  }

  kind(name: string): NodeKind {
    const kind = this.kinds.get(name);
    if (!kind) throw new UnknownKindError({ kind: name, known: [...this.kinds.keys()] });
    return kind;
  }

  has(name: string): boolean {
    return this.kinds.has(name);
  }
}

/** A project's systems: what its systems module exports by default. */
export function defineSystems(...systems: System[]): Registry {
  return new Registry(systems);
}

/** Who a body belongs to, for error messages: a hosted Node is one itself (nothing is made per check). */
export interface BodyOwner {
  readonly name: string;
  readonly kind: string;
}

/**
 * Validate `value` against `schema`: the value itself when the compiled check passes it, else zod's
 * parse of it, or an InvalidBodyError naming the field.
 */
export function checkBody<T>(schema: z.ZodType<T>, value: unknown, owner: BodyOwner, role: BodyRole, type?: string): T {
  if (compiledCheck(schema)(value)) return value as T;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw bodyError(parsed.error, owner, role, type);
}

/**
 * The InvalidBodyError for a failed parse: its first issue's field and problem, and the `type` the
 * body claimed (a message's or request's; for a reply, the request's), when it is a string.
 */
export function bodyError(error: z.ZodError, owner: BodyOwner, role: BodyRole, type?: unknown): InvalidBodyError {
  const issue = error.issues[0]!;
  return new InvalidBodyError({ node: owner.name, kind: owner.kind, role, path: issue.path.join('.') || '(root)', problem: issue.message, ...(typeof type === 'string' ? { type } : {}) });
}

const withType = new WeakMap<RequestSchemas, z.ZodType>();

/**
 * A request's arguments with its `type`, as one schema: a request that is exactly right passes the
 * compiled check as it is, with nothing copied (its type was matched already).
 */
export function requestBodySchema(schemas: RequestSchemas): z.ZodType<Body> {
  let schema = withType.get(schemas);
  if (!schema) {
    schema = schemas.args.extend({ type: z.string() });
    withType.set(schemas, schema);
  }
  return schema as z.ZodType<Body>;
}

/** A request's schemas by its type, or an InvalidBodyError naming the requests the kind answers. */
export function requestSchemas(kind: NodeKind, request: Body, owner: BodyOwner): RequestSchemas {
  const schemas = Object.hasOwn(kind.schemas.requests, request.type) ? kind.schemas.requests[request.type] : undefined;
  if (schemas) return schemas;
  const known = Object.keys(kind.schemas.requests);
  throw new InvalidBodyError({ node: owner.name, kind: owner.kind, role: 'request', path: 'type', problem: `no request "${request.type}" (answers: ${known.join(', ') || 'none'})` });
}
