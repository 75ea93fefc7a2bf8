import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A process the fault tests started, and only those: each runs in its own process group
 * (`detached`), so a signal reaches it and whatever it spawned, and nothing else. Every
 * process ever started is remembered, so `killAllStarted` can clean up after a failure.
 */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Output kept per process: enough for the start-up lines and a failure message. */
const OUTPUT_LIMIT = 2_000_000;

const started = new Set<StartedProcess>();

export class StartedProcess {
  private readonly child: ChildProcess;
  private text = '';
  private stdoutText = '';
  private exit?: Exit;
  readonly exited: Promise<Exit>;
  readonly startedAt = Date.now();

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv },
  ) {
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const keep = (chunk: Buffer): void => {
      if (this.text.length < OUTPUT_LIMIT) this.text += chunk.toString();
    };
    this.child.stdout?.on('data', (chunk: Buffer) => {
      if (this.stdoutText.length < OUTPUT_LIMIT) this.stdoutText += chunk.toString();
      keep(chunk);
    });
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        started.delete(this);
        resolve(this.exit);
      }),
    );
    started.add(this);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  get exitStatus(): Exit | undefined {
    return this.exit;
  }

  /** stdout and stderr, interleaved as they came. */
  get output(): string {
    return this.text;
  }

  get stdout(): string {
    return this.stdoutText;
  }

  /** The last lines of its output, for failure messages. */
  tail(chars = 3_000): string {
    return `--- ${this.name} (pid ${this.child.pid}) ---\n${this.text.slice(-chars)}`;
  }

  /** Sends `signal` to its process group; false when it has exited already. */
  signal(signal: NodeJS.Signals): boolean {
    if (!this.running) return false;
    try {
      process.kill(-this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** kill -9 of its group, resolved once it has exited. */
  async kill(): Promise<Exit> {
    this.signal('SIGCONT'); // a stopped process still dies of SIGKILL, but say it anyway
    this.signal('SIGKILL');
    return this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<Exit> {
    if (!this.running) return this.exited;
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The last resort of a clean-up: kill -9 every process group this file started. */
export async function killAllStarted(): Promise<void> {
  await Promise.all([...started].map((process) => process.kill()));
}
