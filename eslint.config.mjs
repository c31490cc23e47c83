// @ts-check
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';

/** Dependencies point inward (STYLE.md): these zones make the direction a lint error. */
const zones = [
  // jobs/ is the inert domain: nothing of ours
  {
    target: './jobs',
    from: ['./activities', './api', './config', './store', './worker', './workflows', './devserver', './main.ts'],
  },
  // workflows/ are bundled for the sandbox: jobs/ only (activities as types, checked below)
  {
    target: './workflows',
    from: ['./api', './config', './store', './temporal', './worker', './devserver', './main.ts'],
  },
  { target: './activities', from: ['./api', './config', './worker', './workflows', './devserver', './main.ts'] },
  {
    target: './store',
    from: ['./activities', './api', './config', './worker', './workflows', './devserver', './main.ts'],
  },
  {
    target: './config',
    from: ['./activities', './api', './store', './worker', './workflows', './devserver', './main.ts'],
  },
  { target: './api', from: ['./activities', './worker', './workflows', './devserver', './main.ts'] },
  { target: './worker', from: ['./api', './devserver', './main.ts'] },
  // client/ is shipped to the services: self-contained
  {
    target: './client',
    from: [
      './activities',
      './api',
      './config',
      './jobs',
      './store',
      './temporal',
      './worker',
      './workflows',
      './devserver',
      './main.ts',
    ],
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', 'data/**', 'coverage/**', '*.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { import: importPlugin },
    settings: { 'import/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'import/no-restricted-paths': ['error', { zones }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node builtins, no I/O clients.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'http', 'https', 'crypto', 'child_process'],
              message: 'No Node builtins in workflows.',
            },
            { group: ['@supabase/*', 'better-sqlite3', 'fastify'], message: 'Workflows decide; activities do I/O.' },
            {
              group: ['../activities', '../activities/*'],
              message: 'Import activity types only.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'import/no-restricted-paths': 'off' },
  },
);
