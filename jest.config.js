// The workspace's tests in two Jest projects (`npm test` runs both; README.md, "Development"):
// - unit: `*.spec.ts`, pure logic beside the code it tests. No database, Redis or browser, no
//   global set-up: `npm run test:unit` runs them in seconds on a fresh checkout.
// - corpus: libs/rendering/test/*.e2e-spec.ts, the rendering corpus through in-process Renderers.
// - e2e: the other `*.e2e-spec.ts`, against the real Postgres, Redis, Chromium and JVM. Every run
//   gets its own Postgres schema and Redis prefix, and one render worker (libs/testing/src/global-setup.ts).
// Specs are transpiled by SWC with the build's settings (scripts/swc-options.cjs; type-checking is
// `tsc`'s job in `npm test`). The path aliases come from tsconfig.base.json, the one place they are written.
const { paths, swcOptions } = require('./scripts/swc-options.cjs');

const swc = { ...swcOptions({ sourceMaps: 'inline' }), swcrc: false };

const moduleNameMapper = {};
for (const [alias, [path]] of Object.entries(paths)) moduleNameMapper[`^${alias}$`] = `<rootDir>/${path}`;

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper,
};

module.exports = {
  maxWorkers: 2,
  // A global option: Jest ignores it inside a project. A time limit for a test to finish at all,
  // not a latency bound (those are assertions of their own): a browser-driven test that renders a
  // dozen pictures took over 30 s on a 2-core machine running two suites at a time.
  testTimeout: 90000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,deploy}/**/*.spec.ts'] },
    // The rendering corpus in every theme, through in-process Renderers (real Chromium, JVM and
    // raster processes; no database, Redis or worker): the heaviest suites, which npm test runs
    // before the e2e ones rather than beside them (scripts/test.sh).
    { ...common, displayName: 'corpus', testMatch: ['<rootDir>/libs/rendering/test/**/*.e2e-spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/{apps,libs}/**/*.e2e-spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/libs/rendering/test/'],
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
    },
  ],
};
