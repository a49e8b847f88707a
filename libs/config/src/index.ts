export * from './env';
export * from './load-env';
export * from './plans';
