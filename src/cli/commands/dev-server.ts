import type { Command } from 'commander';
import { defaultTemporalDbFile } from '../../config/data-dir.ts';
import { startDevServer } from '../../temporal/dev-server.ts';
import { SEARCH_ATTRIBUTES } from '../../contracts/search-attributes.ts';
import { TransportError } from '../../util/errors.ts';
import type { CliCommand } from '../command.ts';
import { numberFlag, out } from '../io.ts';

interface DevServerFlags {
  port: string;
  uiPort?: string;
  db?: string;
  ip: string;
}

/**
 * `anchorage dev-server`: a local Temporal server (the `temporal` CLI's dev server) with SQLite
 * persistence and the project's search attributes, in the foreground until SIGINT or SIGTERM.
 */
export const devServerCommand: CliCommand = {
  name: 'dev-server',
  register(program: Command): void {
    program
      .command('dev-server')
      .description(
        'run a local Temporal server with SQLite persistence, the training search attributes and the Web UI; Ctrl-C stops it',
      )
      .option('--port <port>', 'front-end gRPC port', '7233')
      .option('--ui-port <port>', 'Web UI port (default: port + 1000)')
      .option(
        '--db <file>',
        'SQLite file (default: $ANCHORAGE_DATA_DIR/temporal.sqlite, or run-data/temporal.sqlite)',
      )
      .option('--ip <address>', 'interface to bind', 'localhost')
      .action((flags: DevServerFlags) => runDevServer(flags));
  },
};

async function runDevServer(flags: DevServerFlags): Promise<void> {
  const port = numberFlag(flags.port, '--port', { min: 1, integer: true });
  const uiPort =
    flags.uiPort === undefined
      ? port + 1000
      : numberFlag(flags.uiPort, '--ui-port', { min: 1, integer: true });
  const dbFile = flags.db ?? defaultTemporalDbFile();
  const server = await startDevServer({ dbFile, port, uiPort, ip: flags.ip, output: { type: 'stderr' } });

  // Signals are forwarded once; a second Ctrl-C while stopping is ignored rather than orphaning the
  // server mid-shutdown.
  let stopping: Promise<void> | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping !== undefined) return;
    process.stderr.write(`anchorage: ${signal} received; stopping the Temporal server\n`);
    stopping = server.stop();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  out(`Temporal server: ${server.address}`);
  out(`Web UI: ${server.uiUrl}`);
  out(`Persistence: ${server.dbFile}`);
  out(`Search attributes: ${SEARCH_ATTRIBUTES.map((k) => `${k.name} (${k.type})`).join(', ')}`);
  out('Press Ctrl-C to stop.');

  const status = await server.exited;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  if (stopping === undefined) {
    throw new TransportError(`the Temporal server exited by itself (${status}); see its log lines above`, {
      retryable: false,
    });
  }
  await stopping;
  out('Temporal server stopped.');
}
