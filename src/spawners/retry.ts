/**
 * Waiting for a real machine to answer (a booting instance, a restarted container): try until it
 * works or the deadline passes, backing off between attempts, and say what never came.
 */
export async function retryUntil<T>(deadline: number, what: string, attempt: () => Promise<T>, pacing = { firstDelayMs: 100, maxDelayMs: 2_000 }): Promise<T> {
  let last: unknown;
  for (let delay = pacing.firstDelayMs; Date.now() < deadline; delay = Math.min(delay * 2, pacing.maxDelayMs)) {
    try {
      return await attempt();
    } catch (error) {
      last = error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
  throw new Error(`gave up waiting for ${what}: ${(last as Error | undefined)?.message ?? 'no attempt finished'}`);
}
