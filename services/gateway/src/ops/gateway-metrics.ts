import { Inject, Injectable } from '@nestjs/common';
import type { ServiceHealth } from '@rotor/contracts';
import { CLOCK, REPORTING_SERVICES, judgeService, type Clock } from '@rotor/runtime';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ServiceHealthView } from './service-health-view';

/**
 * The gateway's Prometheus metrics, in a registry of its own (several apps in one process,
 * as in tests, never collide). Projection lag and readiness come from the records the
 * services write to the health bucket (the projector measures its lag against the store),
 * read at scrape time.
 */
/** Readiness checks about the audit trail (libs/runtime health, the anchor writer). */
const AUDIT_CHECKS: readonly string[] = ['audit', 'audit_anchor'];

@Injectable()
export class GatewayMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'rotor_http_requests_total',
    help: 'HTTP requests answered, by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'rotor_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly rotations = new Counter({
    name: 'rotor_secret_rotations_total',
    help: 'Secret rotations accepted through the REST API',
    labelNames: ['forced'] as const,
    registers: [this.registry],
  });

  readonly signingLatency = new Histogram({
    name: 'rotor_signing_duration_seconds',
    help: 'Round trip of a sign request from the gateway to the signer',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  readonly projectionLagEvents: Gauge;
  readonly projectionLagSeconds: Gauge;
  readonly serviceReady: Gauge<'service'>;
  readonly auditIntact: Gauge<'service'>;

  constructor(
    private readonly health: ServiceHealthView,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'rotor_gateway_' });
    const projection = () => this.newestProjection();
    this.projectionLagEvents = new Gauge({
      name: 'rotor_projection_lag_events',
      help: 'Projected events in the store the projector has not applied yet (counted up to 10000)',
      registers: [this.registry],
      collect() {
        const status = projection();
        if (status) this.set(status.lagEvents);
      },
    });
    this.projectionLagSeconds = new Gauge({
      name: 'rotor_projection_lag_seconds',
      help: 'Age of the oldest event the projector has not applied yet (0 when caught up)',
      registers: [this.registry],
      collect() {
        const status = projection();
        if (status) this.set(status.lagSeconds);
      },
    });
    const verdicts = () => {
      const now = this.clock();
      const records = this.health.records(now);
      return REPORTING_SERVICES.map((service) => ({
        service,
        ready: judgeService(service, records, now).ready,
      }));
    };
    this.serviceReady = new Gauge({
      name: 'rotor_service_ready',
      help: 'Whether a service reported ready (1) or not (0), from its health record',
      labelNames: ['service'] as const,
      registers: [this.registry],
      collect() {
        for (const { service, ready } of verdicts()) this.set({ service }, ready ? 1 : 0);
      },
    });
    // The services that verify the store report `audit` (and the anchor writer
    // `audit_anchor`) checks; a service without them verifies nothing and is not listed.
    const audits = () => {
      const intact = new Map<string, boolean>();
      for (const record of this.health.records(this.clock()))
        for (const check of record.checks)
          if (AUDIT_CHECKS.includes(check.name))
            intact.set(record.service, (intact.get(record.service) ?? true) && check.ok);
      return intact;
    };
    this.auditIntact = new Gauge({
      name: 'rotor_audit_intact',
      help:
        'Whether a service has refused no event as tampered with and, for the anchor writer, ' +
        'still anchors (1), or not (0): README, Audit',
      labelNames: ['service'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [service, intact] of audits()) this.set({ service }, intact ? 1 : 0);
      },
    });
  }

  /** The projection status of the projector that reported last. */
  private newestProjection(): ServiceHealth['projection'] {
    return this.health
      .records(this.clock())
      .filter((record) => record.service === 'projector' && record.projection)
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0]?.projection;
  }
}
