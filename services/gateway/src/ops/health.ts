import { Injectable } from '@nestjs/common';
import { SUBJECTS } from '@rotor/contracts';
import { ApiKeyIndex } from '../auth/api-key-index';
import { serviceErrorOf } from '../rpc/rpc-problem';
import { RotorServices } from '../rpc/rotor-services';

export interface HealthCheck {
  readonly status: 'ok' | 'failing';
  readonly latency_ms?: number;
  readonly detail?: string;
}

/** A tenant and an endpoint that never exist: the probes' answers are 404s, cheaply. */
const PROBE_TENANT = 'rotor-health-probe';
const PROBE_ENDPOINT = `we_${'0'.repeat(32)}`;

/**
 * Health through the same paths requests take: a query over NATS (the bus and the query
 * service answer), a history read (the query service reaches the event store), and the
 * API key view being loaded. A refusal (4xx) is a healthy answer; silence or a 5xx is not.
 */
@Injectable()
export class HealthProbe {
  constructor(
    private readonly services: RotorServices,
    private readonly keys: ApiKeyIndex,
  ) {}

  async check(): Promise<{ healthy: boolean; checks: Record<string, HealthCheck> }> {
    const [services, eventStore] = await Promise.all([
      this.probe(SUBJECTS.query.listEndpoints, { tenantId: PROBE_TENANT, limit: 1 }),
      this.probe(SUBJECTS.query.getHistory, { tenantId: PROBE_TENANT, endpointId: PROBE_ENDPOINT }),
    ]);
    const apiKeys: HealthCheck = this.keys.isLoaded
      ? { status: 'ok' }
      : { status: 'failing', detail: 'the API key view is not loaded yet' };
    const checks = { services, event_store: eventStore, api_keys: apiKeys };
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
