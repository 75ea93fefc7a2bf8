/**
 * Injection tokens for the outside world. Services depend on these ports; only
 * `RuntimeModule` decides which adapter stands behind each (NATS or in-process, sqlite or
 * EventStoreDB), so the same service modules run in both modes.
 */
export const ROTOR_CONFIG = Symbol('ROTOR_CONFIG');
export const EVENT_STORE = Symbol('EVENT_STORE');
export const KEK_RING = Symbol('KEK_RING');
export const DATA_KEY_VAULT = Symbol('DATA_KEY_VAULT');
export const KV_BUCKETS = Symbol('KV_BUCKETS');
export const RPC_CLIENT = Symbol('RPC_CLIENT');
/** The integration events' log (`EventLog`): JetStream, or in memory in the all-in-one mode. */
export const EVENT_LOG = Symbol('EVENT_LOG');
/** `() => Date`: the one clock, so tests can move time and the domain never reads it. */
export const CLOCK = Symbol('CLOCK');

export type Clock = () => Date;
