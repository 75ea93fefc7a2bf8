export * from './rpc-errors';
export * from './rpc-exception.filter';
export * from './runtime.module';
export * from './tokens';
export * from './bootstrap';
