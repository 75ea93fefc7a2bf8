import { SUBJECTS } from './generated/rotor.v1';

/**
 * The NATS subjects (`rotor.<service>.<verb>`, DESIGN §4) are generated from the rpcs of
 * proto/rotor/v1 into `SUBJECTS` (generated/rotor.v1.ts). Each service subscribes in a
 * queue group named after itself, so instances share the load.
 */
export type ServiceName = keyof typeof SUBJECTS | 'projector' | 'expiry' | 'gateway' | 'cli';

/** Queue group of a service: one reply per request however many instances run. */
export const queueGroupOf = (service: ServiceName): string => `rotor-${service}`;

/** JetStream KV buckets the projector writes and the others watch. */
export const BUCKETS = {
  /** endpointId -> KeyRingView: sealed keys for the signer (never the data key). */
  keyRing: 'rotor_key_ring',
  /** endpointId -> EndpointView: for the query service and the expiry scheduler. */
  endpoints: 'rotor_endpoints',
  /** `<service>.<instance>` -> ServiceHealth: each service's readiness, read by the gateway. */
  health: 'rotor_health',
} as const;

/**
 * The integration events (proto/rotor/v1/integration_events.proto): a JetStream stream the
 * projector owns and appends to, one message per store event, subject
 * `rotor.events.<tenant id>.<type>`.
 */
export const INTEGRATION_EVENTS = {
  stream: 'ROTOR_EVENTS',
  subjectPrefix: 'rotor.events',
} as const;

/** `rotor.events.acme.secret.rotated`: tenant ids and types are valid subject tokens. */
export const integrationEventSubject = (tenantId: string, type: string): string =>
  `${INTEGRATION_EVENTS.subjectPrefix}.${tenantId}.${type}`;
