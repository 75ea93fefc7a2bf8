export * from './commands';
export * from './decide';
export * from './errors';
export * from './events';
export * from './ids';
export * from './key';
export * from './state';
export * from './upcasting';
