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
  /**
   * Arm `timer` to fire after `delayMs` (a link's retransmission timer, armed for nearly every
   * packet on a quiet link): the owner is its own timer, so arming makes no closure. At most one
   * arming per timer at a time.
   */
  armTimer(delayMs: number, timer: HostTimer): void;
  /** Disarm an armed timer (a no-op when it is not armed). */
  disarmTimer(timer: HostTimer): void;
  /**
   * A delayed acknowledgement: after `delayMs`, `ack.fire()` transmits one packet to `to`, reading
   * only link state. A real runner arms a timer. The simulator runs it lazily, with its clock at the
   * due time, before anything after that time could tell (see settleAck): a calm network pays no
   * event for its acknowledgements.
   */
  scheduleAck(delayMs: number, to: Address, ack: DelayedAck): void;
  /** Disarm an armed delayed ack: its machine is going away, or it rides on a data packet instead (settled first). */
  cancelAck(ack: DelayedAck): void;
  /**
   * The armed ack's link is about to change (a packet arrives on it), or a packet the other way is
   * about to carry it. A real runner's timer fires
   * when due: nothing to do. The simulator sends an ack already due first, as of its due time.
   */
  settleAck(ack: DelayedAck): void;
  /**
   * A link here holds packets back until acknowledgements free its window: from now on acks to this
   * machine must arrive as events, on time (the simulator otherwise applies them lazily).
   */
  awaitAcks(): void;
  transmit(to: Address, packet: Packet): void;
  /** Skew this machine's clock (offset from true time, rate); timers scale with the rate. */
  setClock(offsetMs: number, rate: number): void;
  /** A node threw while handling a message or timer. The simulator stops; a real runner logs and goes on. */
  nodeFailed(error: unknown, context: { nodeId: string; during: string }): void;
}

/**
 * A link's delayed acknowledgement, as its host arms it (one object per link, armed again and
 * again): a timer whose `fire` transmits the ack, one packet from the link's state as it is then.
 * A real runner arms it as any timer; the simulator keeps its own record in `timerHandle`.
 */
export type DelayedAck = HostTimer;

/** A timer its owner arms again and again (see armTimer). */
export interface HostTimer {
  /** What to do when it fires (it is disarmed by then). */
  fire(): void;
  /** The host's handle on the armed timer; undefined when not armed. */
  timerHandle: unknown;
}
