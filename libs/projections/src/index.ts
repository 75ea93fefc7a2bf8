export * from './endpoint-view';
export * from './key-ring-view';
export * from './views';
export * from './public-keys';
