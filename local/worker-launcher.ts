import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TrainEvent } from '../core/api/admin-schemas.js';
import { metrics } from '../core/metrics/index.js';
import { runStore } from '../core/services/index.js';
import type { TrainingLauncher } from '../core/training/launcher.js';
import type { WorkerMessage } from './training-worker.js';

type Job = TrainEvent & { runId: string };

export interface WorkerLauncherOptions {
  /** Runs trained at once; the rest wait their turn. @default cores − 1 (at least 1) */
  readonly concurrency?: number;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
}

/** Defined by scripts/build.mjs in the compiled bundle: the directory of its files. */
declare const __MLOPS_BUNDLE_DIR__: string | undefined;

/**
 * The worker's script: the compiled one of the same build when this runs from it (`npm start`), else
 * the TypeScript source, which worker-boot.mjs loads through tsx.
 */
function workerScript(): { script: URL; workerData?: { entry: string } } {
  if (typeof __MLOPS_BUNDLE_DIR__ === 'string') {
    return { script: pathToFileURL(join(__MLOPS_BUNDLE_DIR__, 'training-worker.js')) };
  }
  return {
    script: new URL('./worker-boot.mjs', import.meta.url),
    workerData: { entry: new URL('./training-worker.ts', import.meta.url).href },
  };
}

/**
 * Local stand-in for the train function's asynchronous invocation: each run trains in a worker
 * thread (its own event loop and heap), so training — seconds of synchronous CPU per trial —
 * never holds up a request on the local server. While a run waits or trains, this process keeps
 * its lease alive (a worker busy in a long fit cannot), and if the worker dies before the run
 * ended (a crash, running out of memory) the run is marked FAILED with the reason.
 */
export class WorkerTrainingLauncher implements TrainingLauncher {
  private readonly queue: Job[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private readonly workers = new Set<Worker>();
  private readonly concurrency: number;
  private readonly log: NonNullable<WorkerLauncherOptions['log']>;

  constructor(options: WorkerLauncherOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? availableParallelism() - 1);
    this.log = options.log ?? (() => {});
  }

  async launch(event: Job): Promise<void> {
    runStore().leases.hold(event.runId);
    this.queue.push(event);
    this.next();
  }

  /**
   * Shutdown: stops every worker and records its run (and every queued one) as FAILED,
   * interrupted, while the emulators still answer.
   */
  async stop(): Promise<void> {
    const queued = this.queue.splice(0);
    for (const worker of this.workers) await worker.terminate();
    await Promise.allSettled([...this.running.values()]);
    for (const job of queued) {
      runStore().leases.release(job.runId);
      await this.fail(job.runId, 'interrupted: the local runtime stopped before the run started');
    }
  }

  /** Resolves when every launched run has ended (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.queue.length > 0) await Promise.all([...this.running.values()]);
  }

  private next(): void {
    while (this.running.size < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      const task = this.train(job).finally(() => {
        this.running.delete(job.runId);
        runStore().leases.release(job.runId);
        this.next();
      });
      this.running.set(job.runId, task);
    }
  }

  private async train(job: Job): Promise<void> {
    const outcome = await new Promise<{ ok: true } | { ok: false; error: string }>((resolve) => {
      const { script, workerData } = workerScript();
      const worker = new Worker(script, {
        workerData,
        // The environment the local runtime set (a copy as of now, explicitly: under jest the
        // sandbox's process.env is not the thread's).
        env: { ...process.env },
        // Only the parent's debugging flags: jest's --experimental-vm-modules has no business here.
        execArgv: process.execArgv.filter(
          (arg) => arg.startsWith('--inspect') || arg.startsWith('--max-old'),
        ),
      });
      this.workers.add(worker);
      worker.once('exit', () => this.workers.delete(worker));
      let settled = false;
      const settle = (value: { ok: true } | { ok: false; error: string }) => {
        if (!settled) resolve(value);
        settled = true;
      };
      worker.on('message', (message: WorkerMessage) => {
        if (message.kind === 'metric') {
          (metrics[message.hook] as (...args: unknown[]) => void)(...message.args);
        } else if (message.kind === 'done') {
          settle({ ok: true });
        } else {
          settle({ ok: false, error: message.error });
        }
      });
      worker.on('error', (error) =>
        settle({ ok: false, error: `training worker crashed: ${error.message}` }),
      );
      worker.on('exit', (code) =>
        settle({ ok: false, error: `training worker exited (code ${code}) before the run ended` }),
      );
      worker.postMessage(job);
    });
    if (outcome.ok) return;
    this.log('background training failed', { runId: job.runId, error: outcome.error });
    // The handler records its own failures; a worker that died could not: record it here.
    await this.fail(job.runId, outcome.error);
  }

  private async fail(runId: string, error: string): Promise<void> {
    const run = await runStore()
      .get(runId)
      .catch(() => undefined);
    if (run?.status === 'RUNNING') {
      await runStore()
        .finish(run, { status: 'FAILED', error })
        .catch(() => {});
    }
  }
}
