/** pino-socket's TCP writer, used in-thread (its transport form runs in a worker and cannot be bundled). */
declare module 'pino-socket/lib/TcpConnection.js' {
  import type { Writable } from 'node:stream';
  interface TcpConnectionOptions {
    address: string;
    port: number;
    reconnect?: boolean;
    reconnectTries?: number;
    recovery?: boolean;
    recoveryQueueMaxSize?: number;
    sourceStream?: false | null;
    backoffStrategy?: { name?: 'fibonacci' | 'exponential'; initialDelay?: number; maxDelay?: number };
  }
  export default function tcpConnection(options: TcpConnectionOptions): Writable;
}
