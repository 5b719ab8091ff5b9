/**
 * What the docker and cloud spawners share once their machines are up: an API client per machine,
 * the machine's self-reported transport, and closing the clients (failing their calls when a machine dies).
 */
import type { ApiRequest, ApiResponse, Transport } from '../messages/index.ts';
import type { WireAccess } from './spawner.ts';
import { apiResultSchemas } from '../messages/index.ts';
import { MachineDownError } from '../runtime/errors.ts';
import { ApiClient, type ApiClientOptions, type CallOptions } from './api-client.ts';
import { probeUdp } from './udp-probe.ts';

export interface RealMachine {
  id: string;
  name: string;
  client: ApiClient;
  transport: Transport;
  /** The machine's API and UDP sockets as the test process reaches them. */
  api: { host: string; port: number };
  udp: { host: string; port: number };
}

export class RealMachines {
  private readonly machines = new Map<string, RealMachine>();

  constructor(
    private readonly secret: string,
    private readonly options: ApiClientOptions,
  ) {}

  /**
   * Connect to a started machine's API and learn how its peers reach it; check that both the API
   * and the UDP address lead to this very machine (each answers, sealed, with its id).
   */
  async add(id: string, name: string, api: { host: string; port: number }, udp?: { host: string; port: number }): Promise<RealMachine> {
    const client = new ApiClient(api.host, api.port, this.secret, id, this.options);
    const response = await client.request({ type: 'ping' });
    if (!response.ok) throw new Error(`machine ${name} refused ping: ${response.error.message}`);
    const { machineId, transport } = apiResultSchemas.ping.parse(response.result);
    if (machineId !== id) throw new Error(`machine at ${api.host}:${api.port} says it is ${machineId}, expected ${id}`);
    if (transport.address.kind !== 'udp') throw new Error(`machine ${name} reports a non-UDP address`);
    const machine = { id, name, client, transport, api, udp: udp ?? { host: transport.address.host, port: transport.address.port } };
    try {
      await probeUdp(machine.udp, this.secret, id);
    } catch (error) {
      client.close();
      throw error;
    }
    this.machines.get(id)?.client.close();
    this.machines.set(id, machine);
    return machine;
  }

  get(id: string): RealMachine {
    const machine = this.machines.get(id);
    if (!machine) throw new Error(`no machine ${id} in this system`);
    return machine;
  }

  wireAccess(id: string): WireAccess {
    const { api, udp } = this.get(id);
    return { api, udp, secret: this.secret };
  }

  send(id: string, request: ApiRequest, options: CallOptions): Promise<ApiResponse> {
    return this.get(id).client.request(request, options);
  }

  /** The machine is being killed: its calls in flight fail with MachineDownError, never a timeout. */
  down(id: string): void {
    const { name, client } = this.get(id);
    client.close(new MachineDownError({ machineId: id, machine: name }));
  }

  all(): RealMachine[] {
    return [...this.machines.values()];
  }

  closeAll(): void {
    for (const m of this.machines.values()) m.client.close();
    this.machines.clear();
  }
}
