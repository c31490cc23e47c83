/** Two projects: unit tests need no infrastructure; integration tests share one real Temporal dev server,
 * PostgreSQL database and PostgREST started by globalSetup. */
const base = { preset: 'ts-jest', testEnvironment: 'node', modulePathIgnorePatterns: ['<rootDir>/dist/'] };
module.exports = {
  testTimeout: 120000,
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '\\.int\\.test\\.ts$'],
    },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/*.int.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
      globalSetup: '<rootDir>/test/integration-setup.ts',
      globalTeardown: '<rootDir>/test/integration-teardown.ts',
    },
  ],
};
