// One Jest run for the whole workspace. Specs are transpiled by SWC (type-checking is `tsc`'s job
// in `npm test`); every run gets its own Postgres schema and Redis prefix (libs/testing/src/global-setup).
const swc = {
  sourceMaps: 'inline',
  module: { type: 'commonjs' },
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    keepClassNames: true,
  },
};

const aliases = {};
for (const lib of ['client', 'config', 'contracts', 'database', 'identity', 'observability', 'queue', 'rendering', 'testing']) {
  aliases[`^@flowsmith/${lib}$`] = `<rootDir>/libs/${lib}/src/index.ts`;
}

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: aliases,
  testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts', '<rootDir>/{apps,libs}/**/*.e2e-spec.ts', '<rootDir>/deploy/**/*.spec.ts'],
  globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
};
