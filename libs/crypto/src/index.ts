export * from './data-key-events';
export * from './data-key-vault';
export * from './envelope';
export * from './ids';
export * from './kek-ring';
export * from './key-sealing';
export * from './secrets';
export * from './signing';
