export * from './endpoint-view';
export * from './key-ring-view';
export * from './views';
export * from './integration-event';
export * from './public-keys';
