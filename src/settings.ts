/**
 * The only module that reads the environment. Everything else imports `settings` (or, inside a
 * machine runner, `machineSettings()`). A bad value fails fast with one message naming the variable.
 */
import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';

const modes = ['simulated', 'virtual', 'cloud'] as const;
export type Mode = (typeof modes)[number];
export const MODES: readonly Mode[] = modes;

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);
/** An empty variable counts as unset, so `.env` lines like `SIM_SEED=` mean "use the default". */
const blankable = <T extends z.ZodType>(schema: T) => z.preprocess(emptyAsUndefined, schema);
const intSchema = (min: number, max: number) =>
  z.coerce
    .number({ error: 'expected a number' })
    .int('expected an integer')
    .min(min, `expected at least ${min}`)
    .max(max, `expected at most ${max}`);
const int = (min: number, max: number, fallback: number) => blankable(intSchema(min, max).default(fallback));
const optionalInt = (min: number, max: number) => blankable(intSchema(min, max).optional());
const port = (fallback: number) => int(1, 65535, fallback);
const optionalString = () => blankable(z.string().optional());
const bool = () =>
  blankable(z.enum(['0', '1', 'true', 'false'], { error: 'expected 0, 1, true or false' }).default('0')).transform((v) => v === '1' || v === 'true');
const level = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

/** Every variable the test process reads; defaults equal .env.template's. */
export const settingsSchema = z.object({
  DZ_ENV: z.enum(['test', 'development', 'production']).default('test'),
  LOG_LEVEL: level.default('info'),
  LOG_DIR: z.string().min(1).default('.tmp'),
  LOGSTASH_HOST: optionalString(),
  LOGSTASH_PORT: port(5533),
  /** Lines waiting this long with none delivered: logstash is reported stalled (once, with what is buffered). */
  LOGSTASH_STALL_MS: int(100, 3_600_000, 10_000),
  /** Fixes the simulator's seed for every test; unset, each test derives its own from its title. */
  SIM_SEED: optionalInt(0, 2 ** 31 - 1),
  /** JSON round-trip every simulated packet, to catch messages that would not survive a real wire. */
  SIM_SERIALIZE: bool(),
  /** Seed sweeps (`--grep @sweep`): how many seeds, starting where. Nightly: SWEEP_SEEDS=10000. */
  SWEEP_SEEDS: int(0, 10_000_000, 50),
  SWEEP_FROM: int(0, 2 ** 31 - 1, 1),
  /** Seeds per Playwright test in a batched sweep (`sweepSeeds`): few tests in the report, each a second or two. */
  SWEEP_BATCH: int(1, 10_000_000, 200),
  /** The swarm (`--grep @swarm`) replayed in every mode: one seed's faults, on containers and instances too. */
  SWARM_SEED: int(0, 2 ** 31 - 1, 57),
  /** The register sweep: how many seeds of the register workload (from SWEEP_FROM) one test runs. */
  REGISTER_SWEEP_SEEDS: int(0, 10_000_000, 1000),
  /** Test-only: plant a bug in sweep runs (links without duplicate suppression, or what a system's own sweep plants), to show sweeps find it. */
  SWEEP_PLANTED_BUG: bool(),
  /** Run every simulated test twice and fail at the first event where the two runs differ. */
  CHECK_DETERMINISM: bool(),
  /** Attach the run's story (sequence diagram, merged log, replay command) to passing tests too. */
  REPORT_STORY: z.enum(['failures', 'always']).default('failures'),
  MACHINE_UDP_PORT: port(9700),
  MACHINE_API_PORT: port(9701),
  /** Largest API request or response frame, in bytes. */
  MAX_MESSAGE_BYTES: int(1024, 64 * 1024 * 1024, 4 * 1024 * 1024),
  /** Largest node-to-node UDP datagram, in bytes (below the 65,507-byte IPv4 limit). */
  MAX_PACKET_BYTES: int(512, 65_507, 60_000),
  /** A machine's API: most connections open at once (at the limit, the oldest unauthenticated one is evicted). */
  API_MAX_CONNECTIONS: int(2, 100_000, 64),
  /** A connection with nothing in flight is closed after this (the test's client closes its own at half). */
  API_IDLE_TIMEOUT_MS: int(200, 3_600_000, 10_000),
  /** A frame must arrive whole within this of its first byte (slow senders are cut off). */
  API_FRAME_TIMEOUT_MS: int(100, 3_600_000, 10_000),
  /** Largest frame taken without a sealed announcement of its length (bigger ones are announced first). */
  API_SMALL_FRAME_BYTES: int(256, 16 * 1024 * 1024, 64 * 1024),
  /** Bytes all unauthenticated API input may hold at once, over every connection. */
  API_UNAUTHENTICATED_BYTES: int(1024, 1024 * 1024 * 1024, 1024 * 1024),
  /**
   * Base of the machine image. Unset: a local image labelled `distzero.base-node` (what
   * scripts/docker-base-image.sh builds), else node:20-bookworm-slim (pulled).
   */
  DOCKER_BASE_IMAGE: optionalString(),
  /** testcontainers' Ryuk reaper image cannot be pulled offline; DistZero cleans up by label itself. */
  TESTCONTAINERS_RYUK_DISABLED: z.enum(['true', 'false']).default('true'),
  /** The host name containers use to reach this host (logstash on the host, for instance). */
  DOCKER_HOST_GATEWAY: z.string().min(1).default('host.docker.internal'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ENDPOINT_URL: optionalString(),
  AWS_ACCESS_KEY_ID: optionalString(),
  AWS_SECRET_ACCESS_KEY: optionalString(),
  AWS_SESSION_TOKEN: optionalString(),
  AWS_PROFILE: optionalString(),
  /** auto: real AWS when credentials are set, else the local EC2 endpoint when Docker answers. */
  CLOUD_BACKEND: z.enum(['auto', 'aws', 'local']).default('auto'),
  EC2_AMI: optionalString(),
  EC2_INSTANCE_TYPE: z.string().min(1).default('t3.micro'),
  EC2_SECURITY_GROUP_ID: optionalString(),
  EC2_KEY_NAME: optionalString(),
  EC2_SUBNET_ID: optionalString(),
});
export type Settings = z.infer<typeof settingsSchema>;

/** What a machine runner (in a container or on an instance) is told at start. */
export const machineSettingsSchema = z.object({
  DZ_MACHINE_ID: z.string().min(1),
  DZ_MACHINE_NAME: z.string().min(1),
  DZ_SYSTEM_ID: z.string().min(1),
  DZ_SYSTEM_SECRET: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 hex characters'),
  DZ_MODE: z.enum(modes),
  DZ_ENV: settingsSchema.shape.DZ_ENV,
  LOG_LEVEL: level.default('info'),
  DZ_LOG_DIR: z.string().min(1).default('/var/log/distzero'),
  /** Host and port other machines use to reach this one's UDP socket. */
  DZ_ADVERTISE_HOST: z.string().min(1),
  DZ_ADVERTISE_PORT: optionalInt(1, 65535),
  MACHINE_UDP_PORT: settingsSchema.shape.MACHINE_UDP_PORT,
  MACHINE_API_PORT: settingsSchema.shape.MACHINE_API_PORT,
  MAX_MESSAGE_BYTES: settingsSchema.shape.MAX_MESSAGE_BYTES,
  MAX_PACKET_BYTES: settingsSchema.shape.MAX_PACKET_BYTES,
  API_MAX_CONNECTIONS: settingsSchema.shape.API_MAX_CONNECTIONS,
  API_IDLE_TIMEOUT_MS: settingsSchema.shape.API_IDLE_TIMEOUT_MS,
  API_FRAME_TIMEOUT_MS: settingsSchema.shape.API_FRAME_TIMEOUT_MS,
  API_SMALL_FRAME_BYTES: settingsSchema.shape.API_SMALL_FRAME_BYTES,
  API_UNAUTHENTICATED_BYTES: settingsSchema.shape.API_UNAUTHENTICATED_BYTES,
  LOGSTASH_HOST: optionalString(),
  LOGSTASH_PORT: port(5533),
  LOGSTASH_STALL_MS: settingsSchema.shape.LOGSTASH_STALL_MS,
  /** How long the spawner lets this machine stop before it kills it: the log flush must fit inside. */
  DZ_STOP_GRACE_MS: int(500, 600_000, 3_000),
  /** Where the machine journals its state (absent: nothing survives a crash). */
  DZ_STATE_FILE: optionalString(),
  /** This machine's clock: offset from true time and rate (1 = true rate). */
  DZ_CLOCK_OFFSET_MS: int(-86_400_000, 86_400_000, 0),
  DZ_CLOCK_RATE: blankable(z.coerce.number({ error: 'expected a number' }).positive('expected a positive rate').max(10, 'expected at most 10').default(1)),
});
export type MachineSettings = z.infer<typeof machineSettingsSchema>;

export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** Validate an environment record; throws a SettingsError naming each bad variable. */
export function parseSettings<S extends z.ZodObject>(schema: S, env: Record<string, string | undefined>): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '?');
    const got = env[name];
    return `${name}: ${issue.message}${got === undefined ? ' (not set)' : ` (got ${JSON.stringify(got)})`}`;
  });
  throw new SettingsError(`Invalid setting ${problems.join('; ')}`);
}

loadDotenv({ quiet: true });

/**
 * A bad setting is the user's to fix, not a bug: print its one message (no stack trace) and stop.
 * Exit code 2, as for a usage error.
 */
export function orExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

export const settings: Settings = orExit(() => parseSettings(settingsSchema, process.env));

// testcontainers reads its own switches from the environment: hand it ours.
process.env.TESTCONTAINERS_RYUK_DISABLED = settings.TESTCONTAINERS_RYUK_DISABLED;

/**
 * The environment for a child process: this one's, with `overrides` on top (specs that start nested
 * runs). A nested run is a run of its own: it does not inherit the outer run's determinism check,
 * whose repeat would run each nested test twice (give CHECK_DETERMINISM in `overrides` to want it).
 */
export function childEnvironment(overrides: Record<string, string>): Record<string, string | undefined> {
  return { ...process.env, CHECK_DETERMINISM: '0', ...overrides };
}

/** Only a machine runner calls this: it stops (one message) unless the runner was started with its identity. */
export function machineSettings(): MachineSettings {
  return orExit(() => parseSettings(machineSettingsSchema, process.env));
}

/**
 * One test run (a Playwright run: its global setup calls startRun, its workers inherit the id).
 * Outside a run, undefined. What a run remembers across its workers is keyed by it (a failed
 * machine image build, for one).
 */
export function runId(): string | undefined {
  return process.env.DZ_RUN_ID || undefined;
}

/**
 * Called once by a run's global setup: its workers (child processes) inherit the id. A nested run
 * (a spec that runs Playwright) gets an id of its own. Not a user setting, so not in .env.template.
 */
export function startRun(): string {
  const id = `${process.pid}-${Date.now()}`;
  process.env.DZ_RUN_ID = id;
  return id;
}
