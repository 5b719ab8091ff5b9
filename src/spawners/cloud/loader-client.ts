/**
 * The test process's end of a machine's boot loader (boot-loader.cjs): the install on the API port,
 * then `crash` and `restart` on its control port. The loader seals and numbers frames exactly as the
 * runner's API does, so ApiClient speaks to it; one connection per call, since the loader is spoken
 * to only at boot and on a fault.
 */
import { ApiClient } from '../api-client.ts';
import type { InstallMessage } from './boot.ts';

/** What the loader's control port takes: kill the runner (SIGKILL), or start it again from its journal. */
export type ControlMessage = { type: 'crash' } | { type: 'restart' };

export interface LoaderEndpoint {
  host: string;
  port: number;
  secret: string;
  /** The machine the loader serves: control messages name it (its install's DZ_MACHINE_ID). */
  machineId: string;
  maxMessageBytes: number;
  /** Frames longer than this are announced first, as to a runner (the loader's config says the same). */
  smallFrameBytes: number;
}

/** Send one message to a loader and return its result; a refusal is an error naming the message. */
export async function callLoader(endpoint: LoaderEndpoint, message: InstallMessage | ControlMessage, options: { machine: string; timeoutMs: number }): Promise<unknown> {
  const client = new ApiClient(endpoint.host, endpoint.port, endpoint.secret, endpoint.machineId, {
    maxMessageBytes: endpoint.maxMessageBytes,
    smallFrameBytes: endpoint.smallFrameBytes,
    idleCloseMs: options.timeoutMs,
    timeoutMs: options.timeoutMs,
  });
  try {
    const response = await client.call(message, { what: message.type, machine: options.machine });
    if (!response.ok) throw new Error(`${message.type} refused: ${response.error.message}`);
    return response.result;
  } finally {
    client.close();
  }
}
