/**
 * Wakes live subscriptions the moment an append commits in this process, so their
 * in-process latency is ~0; appends made by other processes are found by polling. One
 * notifier per database file per process: two store instances on the same file (two
 * modules of the all-in-one process) wake each other too.
 *
 * `generation` counts appends: a subscription reads it before it scans, then waits "for
 * anything after that generation", so an append landing between its scan and its wait is
 * never missed.
 */
export class AppendNotifier {
  private generation = 0;
  private readonly waiters = new Set<() => void>();

  get current(): number {
    return this.generation;
  }

  notify(): void {
    this.generation += 1;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Resolves after the first append past `seen`, after `timeoutMs`, or on `signal`. */
  wait(seen: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.generation !== seen || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.waiters.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}

const byFile = new Map<string, { notifier: AppendNotifier; users: number }>();

/** The notifier for `file` (an absolute path), or a private one for an in-memory database. */
export function acquireNotifier(file: string | undefined): {
  notifier: AppendNotifier;
  release: () => void;
} {
  if (file === undefined) return { notifier: new AppendNotifier(), release: () => undefined };
  const entry = byFile.get(file) ?? { notifier: new AppendNotifier(), users: 0 };
  entry.users += 1;
  byFile.set(file, entry);
  let released = false;
  return {
    notifier: entry.notifier,
    release: () => {
      if (released) return;
      released = true;
      entry.users -= 1;
      if (entry.users === 0) byFile.delete(file);
    },
  };
}
