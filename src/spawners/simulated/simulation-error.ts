/** A node failed during a simulated run. Carries what a person needs to see why and to replay it. */
export class SimulationError extends Error {
  override name = 'SimulationError';

  constructor(
    message: string,
    readonly seed: number,
    readonly virtualTimeMs: number,
    /** The most recent trace events, oldest first. */
    readonly recentTrace: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(
      `${message}\n  seed ${seed}, at virtual time ${virtualTimeMs.toFixed(3)} ms\n  recent events (oldest first):\n${recentTrace
        .map((line) => `    ${line}`)
        .join('\n')}`,
      options,
    );
  }
}
