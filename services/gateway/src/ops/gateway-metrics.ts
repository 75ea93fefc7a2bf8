import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * The gateway's Prometheus metrics, in a registry of its own (several apps in one process,
 * as in tests, never collide). Projection lag is not here: the gateway sees only the
 * views, not the store's head, so it cannot measure it cheaply; the projector should.
 */
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

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'rotor_gateway_' });
  }
}
