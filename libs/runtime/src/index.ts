export * from './rpc-errors';
export * from './rpc-exception.filter';
export * from './runtime.module';
export * from './tokens';
export * from './bootstrap';
export * from './health/readiness';
export * from './health/service-readiness';
export * from './health/health.module';
