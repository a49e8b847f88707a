export * from './health-server';
export * from './job-handlers';
export * from './job-options';
export * from './redis';
export * from './worker-registry';
export * from './worker-bootstrap';
export * from './worker-runtime.module';
export * from './render-cache';
