export * from './jobs';
export * from './logging';
export * from './metrics';
export * from './error-chain';
