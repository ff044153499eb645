import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { dataDir } from '../config/data-dir.ts';
import { TransportError } from '../util/errors.ts';
import { isLoopbackHost, parseAddress, temporalAddress, temporalNamespace } from './address.ts';
import { probeServer } from './connection.ts';
import { startDevServer } from './dev-server.ts';
import { freePort, isPortFree } from './free-port.ts';
import { ensureSearchAttributes } from './search-attributes.ts';

/** A server that answers at `address`; `stop` stops it only when this call started it. */
export interface ServerHandle {
  address: string;
  namespace: string;
  /** True when this call started the server. */
  started: boolean;
  /** Web UI address of a server this call started. */
  uiUrl: string | undefined;
  /** Process id of a server this call started. */
  pid: number | undefined;
  stop(): Promise<void>;
}

export interface EnsureServerOptions {
  /** Default: `TEMPORAL_ADDRESS` or localhost:7233. */
  address?: string;
  /** Default: `TEMPORAL_NAMESPACE` or `default`. */
  namespace?: string;
  env?: NodeJS.ProcessEnv;
  /** SQLite file for a server started here (default `<data dir>/temporal.sqlite`). */
  dbFile?: string;
  /** Log file for a server started here (default `<data dir>/temporal-server.log`). */
  logFile?: string;
  /**
   * Web UI port for a server started here (default port + 1000, or a free port when another process
   * holds that one: the dev server cannot start when its UI port is taken); `false` for none.
   */
  uiPort?: number | false;
  /** Where the "started a server" notice goes (default: stderr). */
  notify?: (line: string) => void;
}

/**
 * Makes sure a Temporal server answers, for commands that need one. When one answers at the address,
 * its namespace gets the project's search attributes if it lacks them. When none answers and the
 * address is on this machine, a dev server is started as a detached child with its SQLite file and
 * log under the data folder (it says so on stderr); it keeps running after this process exits unless
 * the handle's `stop` is called. A remote address that does not answer is an error.
 */
export async function ensureServer(options: EnsureServerOptions = {}): Promise<ServerHandle> {
  const env = options.env ?? process.env;
  const address = options.address ?? temporalAddress(env);
  const namespace = options.namespace ?? temporalNamespace(env);
  const notify = options.notify ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { host, port } = parseAddress(address);

  if (await probeServer({ address, timeoutMs: 1_500 })) {
    const connection = await Connection.connect({ address });
    try {
      const added = await ensureSearchAttributes({ connection, namespace });
      if (added.length > 0)
        notify(`anchorage: registered search attributes ${added.join(', ')} on ${address}`);
    } finally {
      await connection.close();
    }
    return { address, namespace, started: false, uiUrl: undefined, pid: undefined, stop: async () => {} };
  }
  if (!isLoopbackHost(host)) {
    throw new TransportError(
      `no Temporal server answers at ${address}; start one there, or unset TEMPORAL_ADDRESS to let anchorage start a local one`,
    );
  }
  const folder = dataDir({ env });
  const dbFile = options.dbFile ?? join(folder, 'temporal.sqlite');
  const logFile = options.logFile ?? join(folder, 'temporal-server.log');
  const ip = host.replace(/^\[|\]$/g, '');
  const start = async () =>
    startDevServer({
      dbFile,
      ip,
      port,
      uiPort: options.uiPort ?? (await defaultUiPort({ ip, port })),
      namespaces: namespace === 'default' ? [] : [namespace],
      output: { type: 'file', path: logFile },
      detached: true,
    });
  let server: Awaited<ReturnType<typeof startDevServer>>;
  try {
    server = await start();
  } catch (err) {
    // A port the server picks for itself (its UI, its internal services) can be taken by another
    // process between its check and its bind, and it then exits while starting: once, it is tried
    // again; a second exit is the error.
    if (!(err instanceof TransportError) || !err.message.includes('the server process exited')) throw err;
    const why = err.message.split('\n').slice(0, 2).join(': ');
    notify(`anchorage: the Temporal server exited while starting; starting it once more (${why})`);
    server = await start();
  }
  notify(
    `anchorage: no Temporal server answered at ${address}; started one (pid ${server.pid}, db ${dbFile}, log ${logFile}` +
      `${server.uiUrl === undefined ? '' : `, Web UI ${server.uiUrl}`})`,
  );
  return {
    address: server.address,
    namespace,
    started: true,
    uiUrl: server.uiUrl,
    pid: server.pid,
    stop: () => server.stop(),
  };
}

/** The Web UI port of a server started at `port`: port + 1000 (8233 for 7233) if free, else any free one. */
async function defaultUiPort(options: { ip: string; port: number }): Promise<number> {
  const usual = options.port + 1000;
  if (usual <= 65_535 && (await isPortFree(usual, options.ip))) return usual;
  return freePort(options.ip);
}
