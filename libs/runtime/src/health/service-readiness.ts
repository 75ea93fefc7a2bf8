import type { ProjectionStatus, ReadinessCheck } from '@rotor/contracts';
import { describeError, type LoopStatus } from '@rotor/messaging';
import { failed, loopCheck } from './readiness';

export type Check = () => ReadinessCheck | Promise<ReadinessCheck>;

/**
 * The readiness of one service in this process: its loops and stores register a check
 * each, and the health reporter evaluates them all every few seconds. One instance per
 * service module (HealthModule.forService), so the all-in-one process keeps five apart.
 */
export class ServiceReadiness {
  private readonly checks = new Map<string, Check>();
  private projectionProbe?: () => Promise<ProjectionStatus>;

  constructor(readonly service: string) {}

  register(name: string, check: Check): void {
    this.checks.set(name, check);
  }

  /** A self-healing loop (watch, subscription): ready while it runs (`loopCheck`). */
  registerLoop(name: string, status: () => LoopStatus | undefined): void {
    this.register(name, () => loopCheck(name, status()));
  }

  /** The projector's position against the store (exported in the record and as metrics). */
  projection(probe: () => Promise<ProjectionStatus>): void {
    this.projectionProbe = probe;
  }

  async evaluate(): Promise<{ checks: ReadinessCheck[]; projection?: ProjectionStatus }> {
    const checks = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          return await check();
        } catch (error) {
          return failed(name, describeError(error));
        }
      }),
    );
    if (!this.projectionProbe) return { checks };
    try {
      return { checks, projection: await this.projectionProbe() };
    } catch (error) {
      return { checks: [...checks, failed('projection_status', describeError(error))] };
    }
  }
}
