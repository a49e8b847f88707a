export * from './errors';
export * from './plans';
export * from './queues';
export * from './scopes';
export * from './sources';
