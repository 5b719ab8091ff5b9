/**
 * A machine's own clock: true time shifted by `offsetMs` and running at `rate` (1 = true rate), so
 * a runner can be skewed or drift without touching the host clock. Timers scale with the rate.
 */
export class MachineClock {
  private readonly startTrue = Date.now();

  constructor(
    readonly offsetMs = 0,
    readonly rate = 1,
  ) {}

  /** Milliseconds since the epoch, as this machine believes. */
  now(): number {
    return this.startTrue + this.offsetMs + (Date.now() - this.startTrue) * this.rate;
  }

  /** Real milliseconds until `machineMs` of this clock have passed. */
  realDelay(machineMs: number): number {
    return Math.max(0, machineMs / this.rate);
  }
}
