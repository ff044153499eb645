import { ValidationError } from '../util/errors.ts';

export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';

/** The server address: `TEMPORAL_ADDRESS` (the variable the Temporal CLI also reads) or localhost:7233. */
export function temporalAddress(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.TEMPORAL_ADDRESS;
  return value === undefined || value === '' ? DEFAULT_TEMPORAL_ADDRESS : value;
}

/** The namespace: `TEMPORAL_NAMESPACE` or `default`. */
export function temporalNamespace(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.TEMPORAL_NAMESPACE;
  return value === undefined || value === '' ? DEFAULT_TEMPORAL_NAMESPACE : value;
}

/** `host:port` split and checked; IPv6 hosts are written in brackets (`[::1]:7233`). */
export function parseAddress(address: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(address);
  const port = m === null ? Number.NaN : Number(m[2]);
  if (m === null || !(port >= 1 && port <= 65535)) {
    throw new ValidationError(
      `expected a Temporal address host:port (e.g. ${DEFAULT_TEMPORAL_ADDRESS}), got '${address}'`,
    );
  }
  return { host: m[1]!, port };
}

/** True for addresses this machine can start a server on: localhost and loopback IPs. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
