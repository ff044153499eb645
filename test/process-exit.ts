import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/**
 * Waiting on the exit of a process that is not a child of this one. Node reports 'exit' for its own
 * children only, and a dev server that `anchorage train` starts is detached: its parent, the CLI,
 * has exited by the time a test tears down. The kernel can still say when such a process ends: a
 * pidfd becomes readable (Linux), a kqueue NOTE_EXIT event fires (macOS, BSD). A small Python helper
 * waits on that and exits, and its 'close' is the event. Python 3 is there wherever the Temporal tests
 * run: scripts/setup-temporal.sh installs the Temporal CLI with it.
 */
const WATCH_EXIT = `
import os, select, sys
pid = int(sys.argv[1])
try:
    if hasattr(os, 'pidfd_open'):
        fd = os.pidfd_open(pid)
        print('watching', flush=True)
        select.select([fd], [], [])
    else:
        kq = select.kqueue()
        flags = select.KQ_EV_ADD | select.KQ_EV_ONESHOT
        kq.control([select.kevent(pid, select.KQ_FILTER_PROC, flags, select.KQ_NOTE_EXIT)], 0)
        print('watching', flush=True)
        kq.control(None, 1)
except ProcessLookupError:
    print('gone', flush=True)
`;

/**
 * Starts watching process `pid`; resolves once the watch is in place (so a signal sent afterwards
 * cannot be missed) with `exited`, which resolves when the process has ended (at once when it is
 * gone already).
 */
export async function watchExit(pid: number): Promise<{ exited: Promise<void> }> {
  const helper = spawn('python3', ['-c', WATCH_EXIT, String(pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  helper.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<void>((resolve, reject) => {
    helper.once('error', reject);
    helper.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`waiting for process ${pid} to exit failed (${code ?? signal}): ${stderr}`));
    });
  });
  // The first line says the kernel watches the process, or that it is gone.
  await Promise.race([once(createInterface({ input: helper.stdout }), 'line'), exited]);
  return { exited };
}

/**
 * Stops process `pid` (SIGTERM, then SIGKILL if it is still running after `graceMs`) and resolves
 * once it has exited.
 */
export async function stopProcess(options: { pid: number; graceMs?: number }): Promise<void> {
  const { pid, graceMs = 15_000 } = options;
  const { exited } = await watchExit(pid);
  signal(pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      signal(pid, 'SIGKILL');
      resolve();
    }, graceMs);
  });
  try {
    await Promise.race([exited, killed]);
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** `process.kill`, where a process already gone (ESRCH) is not an error. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
