export * from './address-policy';
export * from './backoff';
export * from './delivery-transport';
export * from './signature';
export * from './webhook-events';
