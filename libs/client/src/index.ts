export { CLIENT_VERSION, FlowsmithClient } from './client';
export type { FlowsmithClientOptions, WaitOptions } from './client';
export { FlowsmithConnectionError, FlowsmithError, FlowsmithTimeoutError, parseRetryAfter } from './errors';
export { expandPath, ROUTES, routeSignatures } from './routes';
export type { RouteName, RouteSpec } from './routes';
export type { FetchLike } from './transport';
export type * from './types';
export { verifyWebhookSignature, type VerifyWebhookOptions } from './webhooks';
