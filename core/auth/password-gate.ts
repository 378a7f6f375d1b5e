import { AppError } from '../errors.js';

export interface PasswordGateOptions {
  /** Password checks run at once (scrypt runs on libuv's pool of 4 threads). */
  readonly concurrency: number;
  /** Checks allowed to wait; past that an attempt is refused with 429 instead of queueing. */
  readonly maxWaiting: number;
}

/**
 * Bounds the password-hashing work of one process: at most `concurrency` scrypt runs at once
 * and at most `maxWaiting` waiting, so a flood of sign-ins from many addresses cannot queue
 * unbounded CPU work in front of a real login. Attempts from an address the user has signed in
 * from before wait in a lane of their own that is always served first. A Lambda instance takes
 * one request at a time, so this matters for the local server; in AWS the per-route throttle
 * and the throttle counters bound the work.
 */
export class PasswordGate {
  private running = 0;
  private readonly waiting: { priority: (() => void)[]; normal: (() => void)[] } = {
    priority: [],
    normal: [],
  };

  constructor(private readonly options: PasswordGateOptions) {}

  async run<T>(work: () => Promise<T>, priority = false): Promise<T> {
    if (this.running >= this.options.concurrency) {
      const queued = this.waiting.priority.length + this.waiting.normal.length;
      if (!priority && queued >= this.options.maxWaiting) {
        throw new AppError('TOO_MANY_ATTEMPTS', 'too many sign-ins in progress; retry shortly', {
          retryAfter: 1,
        });
      }
      await new Promise<void>((resolve) => this.waiting[priority ? 'priority' : 'normal'].push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter (priority lane first), or free it.
      const next = this.waiting.priority.shift() ?? this.waiting.normal.shift();
      if (next) next();
      else this.running--;
    }
  }
}
