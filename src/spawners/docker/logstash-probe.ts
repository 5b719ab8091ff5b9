/**
 * Can containers reach the logstash their machines are told to ship to? Asked once per process and
 * address, before the first machine starts, so a run that would lose every machine's logs says so
 * at its start, with the fix — not at the end, or never.
 *
 * The check runs from this host, at the address a container would use: a logstash on this host's
 * loopback is given to machines as the host gateway (see machine-env.ts), and this host connecting
 * to the gateway's address meets the same bind as a container does (a server on 127.0.0.1 only
 * refuses both).
 */
import net from 'node:net';
import type Dockerode from 'dockerode';
import type { Logger } from '../../logging.ts';
import type { Settings } from '../../settings.ts';
import { machineLogstash } from '../machine-env.ts';

const CONNECT_TIMEOUT_MS = 1_500;
const checked = new Map<string, Promise<string | undefined>>();

/** Reports (console and log) when machines will not reach logstash; returns the report, if any. */
export function checkLogstashFromContainers(docker: Dockerode, settings: Settings, logger: Logger): Promise<string | undefined> {
  const target = machineLogstash(settings, settings.DOCKER_HOST_GATEWAY);
  if (!target) return Promise.resolve(undefined);
  const key = `${settings.LOGSTASH_HOST}:${target.host}:${target.port}`;
  let result = checked.get(key);
  if (!result) {
    result = probe(docker, settings, target).then((problem) => {
      if (problem) {
        process.stderr.write(`[distzero] ${problem}\n`);
        logger.warn({ logstash: `${settings.LOGSTASH_HOST}:${settings.LOGSTASH_PORT}` }, problem);
      }
      return problem;
    });
    checked.set(key, result);
  }
  return result;
}

async function probe(docker: Dockerode, settings: Settings, target: { host: string; port: number }): Promise<string | undefined> {
  const viaGateway = target.host === settings.DOCKER_HOST_GATEWAY;
  const address = viaGateway ? await hostGatewayAddress(docker) : target.host;
  if (!address) return undefined; // no default bridge to ask: nothing to say either way
  const error = await connectError(address, target.port);
  if (!error) return undefined;
  if (viaGateway) {
    return (
      `logstash ${settings.LOGSTASH_HOST}:${target.port} cannot be reached from containers: they reach this host at ` +
      `${address} (${settings.DOCKER_HOST_GATEWAY}), and nothing answers there (${error}). A logstash listening on this ` +
      `host's loopback only is out of their reach. Fix: make it listen on all addresses (0.0.0.0; the ELK stack of ` +
      `docker-compose.yml does), or set LOGSTASH_HOST to an address containers can reach. Machines run on and count ` +
      `the lines they could not ship.`
    );
  }
  return (
    `logstash ${target.host}:${target.port} does not answer from this host (${error}), so machines will likely not reach ` +
    `it either. Fix: start logstash, or correct LOGSTASH_HOST/LOGSTASH_PORT. Machines run on and count the lines they could not ship.`
  );
}

/**
 * The address `host-gateway` stands for: the default bridge's gateway (docker0), as the engine
 * reports it. Not every engine writes the gateway into the bridge's IPAM config (Debian's 20.10 lists
 * only the subnet): the bridge then has the subnet's first address, Docker's default. (This host's
 * interface list cannot tell: it leaves out docker0 while it is down, i.e. until a container runs.)
 */
async function hostGatewayAddress(docker: Dockerode): Promise<string | undefined> {
  let configs: { Gateway?: string; Subnet?: string }[];
  try {
    const bridge = (await docker.getNetwork('bridge').inspect()) as { IPAM?: { Config?: { Gateway?: string; Subnet?: string }[] } };
    configs = bridge.IPAM?.Config ?? [];
  } catch {
    return undefined;
  }
  const gateway = configs.find((c) => c.Gateway)?.Gateway;
  if (gateway) return gateway;
  const subnet = configs.find((c) => c.Subnet && !c.Subnet.includes(':'))?.Subnet;
  return subnet ? firstAddress(subnet) : undefined;
}

/** 172.17.0.0/16 -> 172.17.0.1: where Docker puts a bridge's gateway unless told otherwise. */
function firstAddress(cidr: string): string | undefined {
  const octets = cidr.split('/')[0]!.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255) || octets[3] === 255) return undefined;
  octets[3] = octets[3]! + 1;
  return octets.join('.');
}

function connectError(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (error?: string) => {
      socket.destroy();
      resolve(error);
    };
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => done(`no answer within ${CONNECT_TIMEOUT_MS} ms`));
    socket.once('connect', () => done());
    socket.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}
