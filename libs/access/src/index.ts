export * from './api-key';
export * from './api-key-events';
export * from './api-key-store';
export * from './acting-identity';
