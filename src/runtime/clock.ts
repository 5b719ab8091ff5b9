/**
 * A machine's own clock: true time shifted by `offsetMs` and running at `rate` (1 = true rate), so
 * a runner can be skewed or drift without touching the host clock. Timers scale with the rate.
 */
export class MachineClock {
  private baseTrue = Date.now();
  private baseMachine: number;

  constructor(
    private offsetMs = 0,
    private rate = 1,
  ) {
    this.baseMachine = this.baseTrue + offsetMs;
  }

  /** Milliseconds since the epoch, as this machine believes. */
  now(): number {
    return this.baseMachine + (Date.now() - this.baseTrue) * this.rate;
  }

  /** Skew from now on: the clock jumps to true time + offset and runs at `rate`. */
  set(offsetMs: number, rate: number): void {
    this.baseTrue = Date.now();
    this.baseMachine = this.baseTrue + offsetMs;
    this.offsetMs = offsetMs;
    this.rate = rate;
  }

  /** Real milliseconds until `machineMs` of this clock have passed. */
  realDelay(machineMs: number): number {
    return Math.max(0, machineMs / this.rate);
  }
}
