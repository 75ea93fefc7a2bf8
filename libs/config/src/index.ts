export * from './config';
export * from './redact';
