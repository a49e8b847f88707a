import nx from '@nx/eslint-plugin';

const boundaries = (appsMayUseTesting) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: [
      { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'], notDependOnLibsWithTags: appsMayUseTesting ? [] : ['type:testing'] },
      { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
      { sourceTag: 'layer:contracts', onlyDependOnLibsWithTags: [] },
      // The gateway enqueues and waits; it never renders, so it cannot even import the engines.
      { sourceTag: 'scope:gateway', notDependOnLibsWithTags: ['scope:render-worker'] },
      // The client ships to users (and in the CLI bundle): nothing of ours but the contracts' types.
      { sourceTag: 'scope:client', onlyDependOnLibsWithTags: ['layer:contracts'] },
    ],
  },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/generated/**', 'tmp/**', '.run/**'] },
  // Apps meet only in libs/contracts and the queues: no app imports another app, and libs never
  // import apps. The testing lib is for specs only.
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(false),
      '@typescript-eslint/no-empty-object-type': 'off',
      '@typescript-eslint/no-empty-interface': 'off',
      '@typescript-eslint/no-inferrable-types': 'off',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/test/**/*.ts', 'libs/testing/**/*.ts', 'bench/**/*.ts', 'prisma.config.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(true),
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
];
