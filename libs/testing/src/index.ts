export * from './envelope';
export * from './factories';
export * from './gateway-harness';
export * from './http-client';
export * from './test-run';
export * from './worker-process';
export * from './fake-anthropic';
export * from './svg-safety';
