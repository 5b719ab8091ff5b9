/**
 * How machines come to exist and how the test process talks to them. Each mode is one subclass;
 * nothing above this layer branches on the mode.
 */
import type { Logger } from '../logging.ts';
import { apiResultSchemas, type ApiRequest, type ApiResponse, type ApiResult, type Transport } from '../messages/index.ts';
import type { Mode } from '../settings.ts';
import { UnsupportedFaultError, type ClockSkew, type FaultCounts, type FaultKind, type LinkConditions } from './faults.ts';

export interface MachineSpec {
  name: string;
}

export interface SpawnedMachine {
  id: string;
  name: string;
  /** How other machines' nodes reach this machine. */
  transport: Transport;
}

export interface WaitOptions {
  /** The longest to wait: virtual ms in simulation, wall-clock ms in real modes. */
  timeoutMs: number;
  /** What is awaited, for the error message. */
  what: string;
  /** How often to check in real modes (and how far virtual time advances between checks). */
  pollMs?: number;
}

export type Check = () => boolean | Promise<boolean>;

export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
}

/** A machine answered an API request with an error raised on its side. */
export class MachineApiError extends Error {
  override name = 'MachineApiError';
  constructor(
    readonly machineId: string,
    readonly requestType: string,
    readonly remote: { name: string; message: string },
  ) {
    super(`machine ${machineId} failed ${requestType}: ${remote.name}: ${remote.message}`);
  }
}

/** A report attachment a spawner offers about its run (logs, traces, diagrams). */
export interface Attachment {
  name: string;
  contentType: string;
  path?: string;
  body?: string | Buffer;
}

/** Raw access to a real machine's sockets, for specs that attack them. */
export interface WireAccess {
  api: { host: string; port: number };
  udp: { host: string; port: number };
  secret: string;
}

export abstract class Spawner {
  abstract readonly mode: Mode;
  abstract readonly systemId: string;

  constructor(protected readonly logger: Logger) {}

  /** A fresh id: seeded in simulation, random in real modes. */
  abstract newId(prefix: string): string;

  abstract createMachines(specs: readonly MachineSpec[]): Promise<SpawnedMachine[]>;

  /** Carry one API request to a machine and bring back its response. */
  protected abstract send(machineId: string, request: ApiRequest): Promise<ApiResponse>;

  /** Remove every machine and resource this spawner made. Must be safe after a failed start. */
  abstract cleanUp(): Promise<void>;

  /** A real machine's sockets as seen from the test process; undefined in simulation. */
  wireAccess(_machineId: string): WireAccess | undefined {
    return undefined;
  }

  // --- Faults: each mode overrides what it can do; the rest refuse loudly. --------------------

  /** Change every link's conditions, or one link's (machine ids, one direction). */
  async configureNetwork(_conditions: Partial<LinkConditions>, _link?: { from: string; to: string }): Promise<void> {
    throw new UnsupportedFaultError(this.mode, 'change link conditions');
  }

  /** Cut every link between the two groups of machines, both ways, until heal(). */
  async partition(_groupA: readonly string[], _groupB: readonly string[]): Promise<void> {
    throw new UnsupportedFaultError(this.mode, 'partition the network');
  }

  async heal(): Promise<void> {
    throw new UnsupportedFaultError(this.mode, 'heal a partition');
  }

  /** Stop a machine abruptly; what it had not yet made durable is lost. */
  async crash(_machineId: string): Promise<void> {
    throw new UnsupportedFaultError(this.mode, 'crash a machine');
  }

  async restart(_machineId: string): Promise<void> {
    throw new UnsupportedFaultError(this.mode, 'restart a machine');
  }

  /** Skew a machine's clock: every mode can, through the machine's own clock source. */
  async skewClock(machineId: string, skew: ClockSkew): Promise<void> {
    await this.request(machineId, { type: 'set_clock', offsetMs: skew.offsetMs, rate: skew.rate });
    this.skewedClocks++;
  }

  protected skewedClocks = 0;

  /** The fault kinds this mode counts (checkFaultsFired can only hold it to those). */
  countedFaults(): FaultKind[] {
    return [];
  }

  /** Faults injected so far, by kind. */
  async faultCounts(): Promise<FaultCounts> {
    throw new UnsupportedFaultError(this.mode, 'count injected faults');
  }

  /** Let `ms` of system time pass: virtual in simulation, a real wait elsewhere (to hold a fault, not to await a result). */
  async pass(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** JSON log files the machines write outside this process's own log (containers' logs on the host). */
  machineLogFiles(): string[] {
    return [];
  }

  /** What the report should carry about this run; `failed` says whether the test failed. */
  async attachments(_failed: boolean): Promise<Attachment[]> {
    return [];
  }

  /** Whether answers come off a wire and must be validated (real machines), or from this process. */
  protected readonly answersFromWire: boolean = true;

  async request<R extends ApiRequest>(machineId: string, request: R): Promise<ApiResult<R['type']>> {
    const response = await this.send(machineId, request);
    if (!response.ok) throw new MachineApiError(machineId, request.type, response.error);
    if (!this.answersFromWire) return response.result as ApiResult<R['type']>;
    return apiResultSchemas[request.type].parse(response.result) as ApiResult<R['type']>;
  }

  /** Wait until `check` holds, at most `timeoutMs`. Real modes poll in real time. */
  async waitFor(check: Check, options: WaitOptions): Promise<void> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      if (await check()) return;
      if (Date.now() >= deadline) throw new WaitTimeoutError(`timed out after ${options.timeoutMs} ms waiting until ${options.what}`);
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
    }
  }
}
