export * from './browser/browser-pool';
export * from './engine';
export * from './raster';
export * from './renderer';
export * from './svg/finish-svg';
export * from './themes';
export { mermaidConfig, setupMermaidPage } from './mermaid/mermaid-engine';
