export * from './errors';
export * from './generation';
export * from './plans';
export * from './queues';
export * from './rendering';
export * from './scopes';
export * from './sources';
export * from './themes';
