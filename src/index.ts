/**
 * `distzero`: what a system is written with. Define node kinds (zod schemas and a Node class), group
 * them into systems, and name the project's systems in one module (`defineSystems`). Nothing here
 * pulls in Playwright, Docker or the AWS SDK: this is what the machine bundle carries.
 */
export { z } from 'zod';
export { Node, type Reply } from './nodes/node.ts';
export {
  defineNode,
  defineSystem,
  defineSystems,
  noMessages,
  Registry,
  type ConfigInput,
  type ConfigOf,
  type KindSchemas,
  type MessageOf,
  type NodeInit,
  type NodeKind,
  type ReplyOf,
  type RequestInput,
  type RequestName,
  type RequestOf,
  type RequestSchemas,
  type StateOf,
  type System,
} from './nodes/kinds.ts';
export { SYSTEM_SENDER } from './runtime/node-manager.ts';
export type { Cancel, MachineController } from './runtime/machine-controller.ts';
export { bodySchema, nodeHandleSchema, nodeRefSchema, transportSchema, type Body, type NodeHandle, type NodeRef, type Transport } from './messages/handles.ts';
export {
  DistZeroError,
  InvalidArgumentError,
  InvalidBodyError,
  InvalidRequestError,
  MachineDownError,
  NoTransportError,
  ReplyError,
  UnexpectedMessageError,
  UnknownKindError,
  UnknownMachineError,
  UnknownNodeError,
  type BodyRole,
} from './runtime/errors.ts';
export { Rng } from './runtime/rng.ts';
