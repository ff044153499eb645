import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { TransportError } from '../util/errors.ts';
import { temporalAddress, temporalNamespace } from './address.ts';

/** True when a Temporal frontend answers at `address` within `timeoutMs`. */
export async function probeServer(options: { address: string; timeoutMs?: number }): Promise<boolean> {
  const { address, timeoutMs = 1_000 } = options;
  let connection: Connection | undefined;
  try {
    // `connect` calls GetSystemInfo before it resolves, so success means the frontend answered.
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/**
 * Polls `address` until a frontend answers. `failed` is checked between polls: it returns a reason
 * to give up early (the server process exited) or undefined to keep waiting.
 */
export async function waitForServer(options: {
  address: string;
  timeoutMs?: number;
  intervalMs?: number;
  failed?: () => string | undefined;
}): Promise<void> {
  const { address, timeoutMs = 60_000, intervalMs = 200, failed } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = failed?.();
    if (reason !== undefined)
      throw new TransportError(`Temporal server at ${address} did not start: ${reason}`, {
        retryable: false,
      });
    if (await probeServer({ address, timeoutMs: Math.min(2_000, Math.max(100, deadline - Date.now())) }))
      return;
    if (Date.now() >= deadline) {
      throw new TransportError(
        `no Temporal server answered at ${address} within ${Math.round(timeoutMs / 1000)} s`,
      );
    }
    await sleep(intervalMs);
  }
}

/** A client and the connection under it; `close` closes the connection. */
export interface TemporalClient {
  client: Client;
  connection: Connection;
  address: string;
  namespace: string;
  close(): Promise<void>;
}

/** Connects to `address` (default `TEMPORAL_ADDRESS` or localhost:7233); the error names the address. */
export async function connectClient(
  options: { address?: string; namespace?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<TemporalClient> {
  const env = options.env ?? process.env;
  const address = options.address ?? temporalAddress(env);
  const namespace = options.namespace ?? temporalNamespace(env);
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: options.timeoutMs ?? 5_000 });
  } catch (cause) {
    throw new TransportError(
      `cannot reach a Temporal server at ${address} (start one with \`anchorage dev-server\`, or set TEMPORAL_ADDRESS): ${(cause as Error).message}`,
      { cause },
    );
  }
  const client = new Client({ connection, namespace });
  return { client, connection, address, namespace, close: () => connection.close() };
}
