import { EventEmitter, once } from 'node:events';
import type { WorkerRole } from '../../src/contracts/task-queues.ts';
import type { LocalDeployment } from '../local-deployment.ts';
import { started, type WorkerProcess } from '../worker-process.ts';

/** A worker process exit the supervisor did not cause. */
export interface UnplannedExit {
  role: WorkerRole;
  how: string;
  /** On the supervisor's clock. */
  atMs: number;
}

/**
 * One worker process per role (`workers/<role>.ts`) on a local deployment, kept running: `kill`
 * SIGKILLs a role's process, starts another and resolves once it polls; a process that exits on its
 * own is noted and started again once the server answers (`serverReady`). Every process started is
 * kept, with its log lines, in `processes`.
 */
export class WorkerSupervisor {
  readonly processes: Array<{ role: WorkerRole; process: WorkerProcess }> = [];
  readonly unplannedExits: UnplannedExit[] = [];
  private readonly current = new Map<WorkerRole, WorkerProcess>();
  private readonly killed = new Set<WorkerProcess>();
  private readonly spawned = new EventEmitter();
  private stopping = false;

  constructor(
    private readonly options: {
      deployment: LocalDeployment;
      env: Record<string, string>;
      roles: readonly WorkerRole[];
      /** Milliseconds on the caller's clock (unplanned exits are stamped with it). */
      clock: () => number;
      /** Resolves when the server answers (at once, but while it restarts). */
      serverReady: () => Promise<void>;
      /** Called once a killed process has exited, before its replacement starts. */
      onKilled?: (role: WorkerRole) => Promise<void>;
    },
  ) {}

  /** Starts one process per role; resolves once every one polls. */
  async start(): Promise<void> {
    for (const role of this.options.roles) this.spawn(role);
    await Promise.all(this.options.roles.map((role) => this.ready(role)));
  }

  /** SIGKILLs the process of `role`, starts another; resolves once that one polls. */
  async kill(role: WorkerRole): Promise<{ exit: string }> {
    const victim = this.current.get(role);
    if (victim === undefined) throw new Error(`no ${role} worker process to kill`);
    this.killed.add(victim);
    victim.child.kill('SIGKILL');
    const exit = String(await victim.exited);
    await this.options.onKilled?.(role);
    this.spawn(role);
    await this.ready(role);
    return { exit };
  }

  /** From now on, an exit is not restarted (the caller kills what is left). */
  stop(): void {
    this.stopping = true;
  }

  private spawn(role: WorkerRole): WorkerProcess {
    const w = this.options.deployment.spawn(`${role}.ts`, this.options.env);
    this.current.set(role, w);
    this.processes.push({ role, process: w });
    void w.exited.then(async (how) => {
      if (this.killed.has(w) || this.stopping) return;
      this.unplannedExits.push({ role, how: String(how), atMs: this.options.clock() });
      await this.options.serverReady();
      if (!this.stopping && this.current.get(role) === w) this.spawn(role);
    });
    this.spawned.emit(role);
    return w;
  }

  /**
   * Resolves once the role's current process polls; a process that exits before it does is
   * replaced (the exit handler above), and the replacement waited for, a few times at most.
   */
  private async ready(role: WorkerRole): Promise<void> {
    for (let tries = 1; ; tries++) {
      const w = this.current.get(role)!;
      try {
        await started(w);
        return;
      } catch (err) {
        if (tries >= 5 || this.stopping) throw err;
        if (this.current.get(role) === w) await once(this.spawned, role);
      }
    }
  }
}
