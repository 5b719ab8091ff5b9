/** A node tried to send to a node whose transport it was never given (as in the seed). */
export class NoTransportError extends Error {
  override name = 'NoTransportError';
  constructor(
    readonly fromNodeId: string,
    readonly toNodeId: string,
  ) {
    super(`node ${fromNodeId} has no transport to node ${toNodeId}; call setTransport first`);
  }
}

export class UnknownNodeError extends Error {
  override name = 'UnknownNodeError';
  constructor(
    readonly nodeId: string,
    readonly machineId: string,
  ) {
    super(`no node ${nodeId} on machine ${machineId}`);
  }
}

/** A node got a message its protocol does not allow in its role. */
export class UnexpectedMessageError extends Error {
  override name = 'UnexpectedMessageError';
  constructor(nodeId: string, kind: string, messageType: string) {
    super(`${kind} node ${nodeId} cannot handle a ${messageType} message`);
  }
}

export function describeError(error: unknown): { name: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
}
