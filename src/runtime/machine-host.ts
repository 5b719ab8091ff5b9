import type { Logger } from '../logging.ts';
import type { Address, Packet } from '../messages/index.ts';
import type { Cancel } from './machine-controller.ts';

/**
 * What a runner gives a NodeManager: a clock, timers, an unreliable datagram wire and a place to
 * report node failures. The simulator implements it with virtual time and its network model; the
 * MachineRunner with real time and UDP.
 */
export interface MachineHost {
  readonly address: Address;
  /** Changes on every (re)start of the machine; tells peers to reset their link state. */
  readonly incarnation: string;
  readonly logger: Logger;
  now(): number;
  schedule(delayMs: number, fn: () => void): Cancel;
  transmit(to: Address, packet: Packet): void;
  /** Skew this machine's clock (offset from true time, rate); timers scale with the rate. */
  setClock(offsetMs: number, rate: number): void;
  /** A node threw while handling a message or timer. The simulator stops; a real runner logs and goes on. */
  nodeFailed(error: unknown, context: { nodeId: string; during: string }): void;
}
