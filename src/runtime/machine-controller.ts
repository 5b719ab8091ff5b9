import type { Logger } from '../logging.ts';
import type { Body, NodeHandle, Transport } from '../messages/index.ts';

export type Cancel = () => void;

/**
 * Everything a node may do to the world. Nodes see only this, in every mode; its one implementation
 * is NodeManager, which a runner (the simulator or the real-time MachineRunner) drives.
 */
export interface MachineController {
  readonly machineId: string;
  readonly machineName: string;
  /** Milliseconds on this machine's own clock (virtual in simulation, possibly skewed). */
  now(): number;
  /**
   * Send over the reliable, ordered link from node `fromNodeId` to `to`. Throws NoTransportError,
   * and InvalidBodyError when the message fails the schema of `to`'s kind.
   */
  send(fromNodeId: string, to: NodeHandle, message: Body): void;
  /**
   * Send one datagram from node `fromNodeId` to `to`, outside the reliable links: no acknowledgement,
   * retransmission, deduplication or ordering. It may be lost, duplicated or overtaken. Checked and
   * refused exactly as `send` is.
   */
  sendRaw(fromNodeId: string, to: NodeHandle, message: Body): void;
  /** Record how to reach a node on another (or this) machine. */
  setTransport(to: NodeHandle, transport: Transport): void;
  /** The transport other nodes use to reach `nodeId` on this machine (the seed's create_transport_for). */
  transportFor(nodeId: string): Transport;
  /** Run `fn` after `delayMs` of this machine's time (for node `nodeId`: a throw is reported as its); returns a cancel function. */
  setTimer(delayMs: number, fn: () => void, nodeId?: string): Cancel;
  readonly logger: Logger;
}
