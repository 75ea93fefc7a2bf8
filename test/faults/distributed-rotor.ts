import { waitFor } from '@rotor/testing';
import { freePorts } from '../deployment/rotor-nats-server';
import { killAllStarted, type StartedProcess } from './child-process';
import {
  DISTRIBUTED_SERVICES,
  isServiceReady,
  NatsServerProcess,
  prepareStore,
  startService,
  createRunFiles,
  type DistributedService,
  type RunFiles,
  type ServiceContext,
} from './rotor-deployment';

/** Start-up of six ts-node processes at once on two shared cores. */
const START_ALL_TIMEOUT_MS = 180_000;
const RESTART_TIMEOUT_MS = 90_000;
const READY_POLL_MS = 100;

/**
 * Rotor's distributed mode as separate processes on a private nats-server and a temp
 * sqlite file, with the faults the tier injects: kill -9 and restart of one service or of
 * nats-server (same port, same store dir), SIGSTOP and SIGCONT.
 */
export class DistributedRotor {
  private readonly processes = new Map<DistributedService, StartedProcess>();

  private constructor(
    readonly files: RunFiles,
    readonly nats: NatsServerProcess,
    readonly gatewayPort: number,
    readonly apiKey: string,
  ) {}

  static async start(): Promise<DistributedRotor> {
    const files = createRunFiles('rotor-faults-distributed-');
    try {
      const apiKey = await prepareStore(files, 'tenant-faults');
      const nats = await NatsServerProcess.create(files.natsStoreDir);
      const [gatewayPort] = await freePorts(1);
      const rotor = new DistributedRotor(files, nats, gatewayPort, apiKey);
      await nats.start();
      for (const service of DISTRIBUTED_SERVICES)
        rotor.processes.set(service, startService(service, rotor.context));
      await Promise.all(
        DISTRIBUTED_SERVICES.map((service) => rotor.waitUntilReady(service, START_ALL_TIMEOUT_MS)),
      );
      return rotor;
    } catch (error) {
      await killAllStarted();
      files.remove();
      throw error;
    }
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.gatewayPort}`;
  }

  private get context(): ServiceContext {
    return { files: this.files, nats: this.nats, gatewayPort: this.gatewayPort };
  }

  process(service: DistributedService): StartedProcess {
    const process = this.processes.get(service);
    if (!process) throw new Error(`${service} was never started`);
    return process;
  }

  /** kill -9, then a new process at once; resolves once the new one is ready. */
  async killAndRestart(
    service: DistributedService,
  ): Promise<{ killedAt: number; readyAt: number }> {
    const killedAt = Date.now();
    await this.process(service).kill();
    this.processes.set(service, startService(service, this.context));
    await this.waitUntilReady(service, RESTART_TIMEOUT_MS);
    return { killedAt, readyAt: Date.now() };
  }

  /** kill -9 of nats-server, restarted on the same port and store dir. */
  async killAndRestartNats(): Promise<{ killedAt: number; readyAt: number }> {
    const killedAt = Date.now();
    await this.nats.current?.kill();
    await this.nats.start();
    return { killedAt, readyAt: Date.now() };
  }

  async waitUntilReady(service: DistributedService, timeoutMs: number): Promise<void> {
    const process = this.process(service);
    try {
      await waitFor(
        () => isServiceReady(service, process, this.gatewayPort),
        `${service} to be ready`,
        timeoutMs,
        READY_POLL_MS,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${process.tail()}`);
    }
  }

  /** Services that have exited by themselves, with how: a crash the tier did not cause. */
  crashed(): string[] {
    return DISTRIBUTED_SERVICES.flatMap((service) => {
      const exit = this.processes.get(service)?.exitStatus;
      return exit ? [`${service} exited (${exit.signal ?? `code ${exit.code}`})`] : [];
    });
  }

  /** The last lines of every process, for a failure message. */
  tails(): string {
    return [...this.processes.values(), ...(this.nats.current ? [this.nats.current] : [])]
      .map((process) => process.tail(1_500))
      .join('\n');
  }

  /** SIGTERM to every service, then nats-server; kill -9 whatever is left; files removed. */
  async stop(): Promise<void> {
    try {
      await Promise.all([...this.processes.values()].map((process) => process.stop()));
      await this.nats.current?.stop();
    } finally {
      await killAllStarted();
      this.files.remove();
    }
  }
}
