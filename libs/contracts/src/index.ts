export * from './contract.pipe';
export * from './errors';
export * from './generated/rotor.v1';
export * from './schema';
export * from './subjects';
export * from './validation';
