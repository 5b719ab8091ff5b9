/**
 * The framework's errors. Each carries plain-JSON `details`, so an error raised on a real machine
 * crosses the wire as `{ name, message, details }` and is raised again in the test process as the
 * same class with the same message: a misuse fails identically in every mode.
 */
export abstract class DistZeroError<D extends object = object> extends Error {
  constructor(
    readonly details: D,
    message: string,
  ) {
    super(message);
  }
}

/** What a body was, for an InvalidBodyError. */
export type BodyRole = 'config' | 'message' | 'request' | 'reply' | 'state';

/** A config, message, request, reply or journaled state that fails its node kind's schema. */
export class InvalidBodyError extends DistZeroError<{ node: string; kind: string; role: BodyRole; path: string; problem: string; type?: string }> {
  override name = 'InvalidBodyError';
  constructor(details: InvalidBodyError['details']) {
    super(details, `invalid ${details.role}${typeOfBody(details)} for node ${details.node} (kind ${details.kind}) at ${details.path}: ${details.problem}`);
  }
}

/** Which message or request a body claimed to be (a reply: which request it answers), when known. */
function typeOfBody({ role, type }: InvalidBodyError['details']): string {
  if (type === undefined) return '';
  return role === 'reply' ? ` to ${JSON.stringify(type)}` : ` ${JSON.stringify(type)}`;
}

/** A node kind no registered system declares. */
export class UnknownKindError extends DistZeroError<{ kind: string; known: string[] }> {
  override name = 'UnknownKindError';
  constructor(details: UnknownKindError['details']) {
    super(details, `no node kind "${details.kind}" is registered (registered: ${details.known.join(', ') || 'none'}; a kind is registered by naming its system in the project's systems module)`);
  }
}

export class UnknownNodeError extends DistZeroError<{ nodeId: string; machine: string }> {
  override name = 'UnknownNodeError';
  constructor(details: UnknownNodeError['details']) {
    super(details, `no node ${details.nodeId} on machine ${details.machine}`);
  }
}

export class UnknownMachineError extends DistZeroError<{ machineId: string }> {
  override name = 'UnknownMachineError';
  constructor(details: UnknownMachineError['details']) {
    super(details, `no machine ${details.machineId} in this system`);
  }
}

/**
 * A call to a machine that is down (crashed and not restarted), or in flight to it when it crashed:
 * a dead process answers nothing, so the call fails at once rather than waiting for its timeout.
 */
export class MachineDownError extends DistZeroError<{ machineId: string; machine: string }> {
  override name = 'MachineDownError';
  constructor(details: MachineDownError['details']) {
    super(details, `machine ${details.machine} is down (crashed and not restarted)`);
  }
}

/** A node tried to send to a node whose transport it was never given (as in the seed). */
export class NoTransportError extends DistZeroError<{ fromNodeId: string; toNodeId: string }> {
  override name = 'NoTransportError';
  constructor(details: NoTransportError['details']) {
    super(details, `node ${details.fromNodeId} has no transport to node ${details.toNodeId}; call setTransport first`);
  }
}

/** A node got a message or request its protocol does not allow in its role. */
export class UnexpectedMessageError extends DistZeroError<{ node: string; kind: string; type: string }> {
  override name = 'UnexpectedMessageError';
  constructor(details: UnexpectedMessageError['details']) {
    super(details, `${details.kind} node ${details.node} cannot handle a ${details.type} message`);
  }
}

/** A node replied twice to one request, or threw while answering it. */
export class ReplyError extends DistZeroError<{ node: string; kind: string; request: string; problem: string }> {
  override name = 'ReplyError';
  constructor(details: ReplyError['details']) {
    super(details, `node ${details.node} (kind ${details.kind}) could not answer ${details.request}: ${details.problem}`);
  }
}

/** A test-side argument that can never be right (a negative duration, say). */
export class InvalidArgumentError extends DistZeroError<{ argument: string; problem: string }> {
  override name = 'InvalidArgumentError';
  constructor(details: InvalidArgumentError['details']) {
    super(details, `invalid ${details.argument}: ${details.problem}`);
  }
}

/** An API request whose envelope a machine could not read (a body without a `type`, say). */
export class InvalidRequestError extends DistZeroError<{ reason: string; detail: string }> {
  override name = 'InvalidRequestError';
  constructor(details: InvalidRequestError['details']) {
    super(details, `${details.reason}: ${details.detail}`);
  }
}

/** An error as it crosses the wire. */
export interface DescribedError {
  name: string;
  message: string;
  details?: Record<string, unknown> | undefined;
}

/**
 * How a node's failure is named, in every mode: the simulator's SimulationError and a real run's
 * NodeFailedError say it in these words.
 */
export function nodeFailedDuring(failure: { nodeId: string; machine: string; during: string }): string {
  return `node ${failure.nodeId} on machine ${failure.machine} failed during ${failure.during}`;
}

export function describeError(error: unknown): DescribedError {
  if (error instanceof DistZeroError) return { name: error.name, message: error.message, details: { ...error.details } };
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
}

const revivable: Record<string, { prototype: Error }> = {
  InvalidBodyError,
  UnknownKindError,
  UnknownNodeError,
  UnknownMachineError,
  MachineDownError,
  NoTransportError,
  UnexpectedMessageError,
  ReplyError,
  InvalidArgumentError,
  InvalidRequestError,
};

/** The framework error a machine described, as the same class here; undefined for any other error. */
export function reviveError(described: DescribedError, where: string): Error | undefined {
  const cls = revivable[described.name];
  if (!cls) return undefined;
  const error = Object.create(cls.prototype) as Error & { details: unknown };
  error.name = described.name;
  error.message = described.message;
  error.details = described.details ?? {};
  error.stack = `${described.name}: ${described.message}\n    raised on ${where}`;
  return error;
}

