import { Inject, Injectable } from '@nestjs/common';
import { SUBJECTS } from '@rotor/contracts';
import { CLOCK, REPORTING_SERVICES, judgeService, loopCheck, type Clock } from '@rotor/runtime';
import { ApiKeyIndex } from '../auth/api-key-index';
import { serviceErrorOf } from '../rpc/rpc-problem';
import { RotorServices } from '../rpc/rotor-services';
import { ServiceHealthView } from './service-health-view';

export interface HealthCheck {
  readonly status: 'ok' | 'failing';
  readonly latency_ms?: number;
  readonly detail?: string;
}

/** A tenant that never exists: the probe's answer is an empty page, cheaply. */
const PROBE_TENANT = 'rotor-health-probe';

/**
 * The gateway's readiness (README: Health): `nats`, a request-reply round trip through the
 * bus to the query service (a refusal is a healthy answer; silence or a 5xx is not);
 * `api_keys`, the key view loaded and its watch running; and one check per service, from
 * the record each writes to the health bucket (missing or stale: not ready). The gateway
 * never opens the store itself.
 */
@Injectable()
export class HealthProbe {
  constructor(
    private readonly services: RotorServices,
    private readonly keys: ApiKeyIndex,
    private readonly view: ServiceHealthView,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async check(): Promise<{ healthy: boolean; checks: Record<string, HealthCheck> }> {
    const now = this.clock();
    const nats = await this.probe(SUBJECTS.query.listEndpoints, {
      tenantId: PROBE_TENANT,
      limit: 1,
    });
    const keyWatch = loopCheck('api key watch', this.keys.watchStatus);
    const apiKeys: HealthCheck = !this.keys.isLoaded
      ? { status: 'failing', detail: 'the API key view is not loaded yet' }
      : keyWatch.ok
        ? { status: 'ok' }
        : { status: 'failing', detail: keyWatch.detail };
    const healthWatch = loopCheck('health watch', this.view.watchStatus);
    const records = this.view.records(now);
    const services = Object.fromEntries(
      REPORTING_SERVICES.map((service): [string, HealthCheck] => {
        const verdict = judgeService(service, records, now);
        const detail = [verdict.detail, healthWatch.ok ? undefined : healthWatch.detail]
          .filter(Boolean)
          .join('; ');
        return [
          service,
          verdict.ready && healthWatch.ok ? { status: 'ok' } : { status: 'failing', detail },
        ];
      }),
    );
    const checks = { nats, api_keys: apiKeys, ...services };
    return { healthy: Object.values(checks).every((c) => c.status === 'ok'), checks };
  }

  private async probe(subject: string, payload: unknown): Promise<HealthCheck> {
    const started = performance.now();
    const latency = () => Math.round(performance.now() - started);
    try {
      await this.services.ping(subject, payload);
      return { status: 'ok', latency_ms: latency() };
    } catch (error) {
      const refusal = serviceErrorOf(error);
      if (refusal && refusal.status >= 400 && refusal.status < 500)
        return { status: 'ok', latency_ms: latency() };
      return {
        status: 'failing',
        latency_ms: latency(),
        detail: refusal
          ? `${refusal.code} (${refusal.status})`
          : ((error as Error)?.name ?? 'error'),
      };
    }
  }
}
