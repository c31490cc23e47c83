/** Two projects: unit tests need no infrastructure; integration tests share one real Temporal dev server,
 * PostgreSQL database and PostgREST started by globalSetup. */
const base = { preset: 'ts-jest', testEnvironment: 'node', modulePathIgnorePatterns: ['<rootDir>/dist/'] };
module.exports = {
  testTimeout: 120000,
  // Test files run one at a time (`--maxWorkers=1`) in a worker process that jest replaces once it holds more than
  // this after a file. In band, the one process grew past 1.7 GB over the unit tests alone, and late in the whole
  // suite its garbage collections stalled the event loop for up to 3 s: timing tests (the fault table's calls on
  // time) failed on the test process, not on the scheduler. The shared infrastructure stays in the parent process.
  workerIdleMemoryLimit: '1GB',
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
