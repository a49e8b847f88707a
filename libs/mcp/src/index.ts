export { createMcpServer } from './server';
export type { McpServerOptions } from './server';
