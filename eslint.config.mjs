// @ts-check
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';

/** Our top-level modules; main.ts is the one composition root and imports any of them. */
const MODULES = [
  'activities',
  'api',
  'bench',
  'client',
  'config',
  'console',
  'devserver',
  'examples',
  'jobs',
  'observability',
  'scripts',
  'store',
  'temporal',
  'worker',
  'workflows',
];

/** `target` may import only the `allowed` modules of ours. */
const only = (target, allowed, message) => ({
  target: `./${target}`,
  from: [...MODULES.filter((m) => m !== target && !allowed.includes(m)).map((m) => `./${m}`), './main.ts'],
  message,
});

/** Dependencies point inward (STYLE.md): these zones make the direction a lint error. */
const zones = [
  only('jobs', [], 'jobs/ is the inert domain: nothing of ours.'),
  only('workflows', ['jobs', 'activities'], 'workflows/ are bundled for the sandbox: jobs/, and activities as types.'),
  only('activities', ['jobs', 'store', 'temporal']),
  only('store', ['jobs']),
  only('config', ['jobs']),
  only('temporal', ['jobs', 'store']),
  only('api', ['jobs', 'store', 'config', 'temporal']),
  only('worker', ['jobs', 'activities', 'workflows', 'temporal']),
  only(
    'observability',
    ['jobs', 'activities', 'store'],
    "observability/ implements interfaces of activities/ and the sinks, and reads the mirror's job rows for /metrics.",
  ),
  only('devserver', []),
  only('client', [], 'client/ is shipped to the services: self-contained.'),
  only('examples', ['client'], 'The example service uses what services get: client/ only.'),
  // its types of the API's answers come from api/ and jobs/ by `import type` (checked below), erased at build time
  only('console', ['api', 'jobs'], 'console/ runs in the browser: it speaks to the API over HTTP, like any client.'),
];

export default tseslint.config(
  { ignores: ['dist/**', 'client/dist/**', 'node_modules/**', '.tools/**', 'data/**', 'coverage/**', '*.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
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
    // The console is bundled for the browser: of ours, only the API's types (erased by esbuild).
    files: ['console/**/*.ts', 'console/**/*.tsx'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(api|jobs)/',
              message: 'The console imports only types of ours from outside console/ (`import type`).',
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
