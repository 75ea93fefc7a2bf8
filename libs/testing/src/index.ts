export * from './wait-for';
export * from './nats-server';
