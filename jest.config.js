// Four tiers, four suffixes (STYLE.md): *.spec.ts pure and fast, *.int-spec.ts against a real
// NATS server and a real store, *.e2e-spec.ts black-box over HTTP or NATS, *.fault-spec.ts the
// fault tier (processes killed, paused and restarted under load; test/faults/).
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.json');

const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  setupFiles: ['reflect-metadata'],
};

module.exports = {
  // Hooks start servers and services: the default 5 s is too tight for them on 2 cores, and
  // the all-in-one e2e builds and starts `npm start` twice in one test. Jest reads
  // testTimeout only here, for every project; a file with a longer run says so per test.
  testTimeout: 120000,
  reporters: ['default', '<rootDir>/libs/testing/src/summary-reporter.js'],
  // A leaked child process fails the run by name instead of keeping jest alive.
  globalTeardown: '<rootDir>/libs/testing/src/leaked-processes.teardown.js',
  // In CI a handle left open (a socket, a timer) must not hold the run until CI's time limit:
  // the results are already printed when jest would wait for it.
  forceExit: process.env.CI === 'true',
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{libs,services,proto,test}/**/*.spec.ts'] },
    { ...shared, displayName: 'int', testMatch: ['<rootDir>/{libs,services,test}/**/*.int-spec.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/{libs,services,test}/**/*.e2e-spec.ts'] },
    // About 90 s in all on 2 cores (the distributed run is bounded at 285 s); part of npm test.
    { ...shared, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'] },
  ],
};
