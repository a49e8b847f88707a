// SWC's settings for the build (scripts/compile.mjs) and for Jest (jest.config.js), written once.
// The path aliases are read from tsconfig.base.json, the one place they are written: the build
// rewrites `@flowsmith/*` imports to relative paths with them (dist/ has no aliases), while Jest
// maps them itself (moduleNameMapper).
const { join } = require('node:path');
const { compilerOptions } = require('../tsconfig.base.json');

const root = join(__dirname, '..');

/** @param {{ aliases?: boolean, sourceMaps?: boolean | 'inline' }} options */
function swcOptions({ aliases = false, sourceMaps = true } = {}) {
  return {
    sourceMaps,
    module: { type: 'commonjs', strictMode: true, noInterop: false },
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true, dynamicImport: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      keepClassNames: true,
      ...(aliases ? { baseUrl: root, paths: compilerOptions.paths } : {}),
    },
  };
}

module.exports = { root, swcOptions, paths: compilerOptions.paths };
