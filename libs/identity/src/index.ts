export * from './api-key-secret';
export * from './key-revocations';
export * from './provision-key';
