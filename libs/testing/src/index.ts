export * from './wait-for';
export * from './nats-server';
export * from './ed25519-receiver';
