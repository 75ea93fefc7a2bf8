// The one package that imports `nats` (STYLE.md): connections, JetStream KV, Rotor's RPC wire
// format with its Nest transport and client, and their in-process stand-ins for the
// all-in-one mode.
export * from './key-value.port';
export * from './wire';
export * from './supervision/backoff';
export * from './supervision/resilient-watch';
export * from './rpc-client';
export * from './rpc-errors';
export * from './rpc-server';
export * from './nats/nats-connection';
export * from './nats/nats-rpc-client';
export * from './nats/jetstream-kv';
export * from './in-process/in-memory-kv';
export * from './in-process/in-process-bus';
export * from './in-process/in-process-rpc';
export * from './nest/transport';
export * from './event-log.port';
export * from './nats/jetstream-event-log';
export * from './in-process/in-memory-event-log';
