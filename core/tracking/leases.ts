/**
 * The heartbeat of the runs one process is training: every `intervalMs` it renews each held
 * run's lease (RunStore.renew). The timer is unref'd, so it never keeps a process alive, and it
 * runs only while something is held. A renewal that fails is reported and retried next tick:
 * the lease is several intervals long, so one lost beat does not cost the run.
 */
export class LeaseKeeper {
  private readonly held = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private beating = false;

  constructor(
    private readonly renew: (runId: string) => Promise<void>,
    private readonly options: { intervalMs: number; onError?: (runId: string, error: unknown) => void },
  ) {}

  hold(runId: string): void {
    this.held.add(runId);
    this.timer ??= setInterval(() => void this.beat(), this.options.intervalMs).unref();
  }

  release(runId: string): void {
    this.held.delete(runId);
    if (this.held.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  holds(runId: string): boolean {
    return this.held.has(runId);
  }

  /** The runs held now (the local launcher's worker reports these to its parent). */
  get runIds(): string[] {
    return [...this.held];
  }

  /** Renews every held lease once (the timer's tick; also callable directly). */
  async beat(): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    try {
      await Promise.all(
        [...this.held].map((runId) =>
          this.renew(runId).catch((error) => this.options.onError?.(runId, error)),
        ),
      );
    } finally {
      this.beating = false;
    }
  }
}
