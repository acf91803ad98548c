// Browser tests (npm run test:ui): the built service on the embedded default, driven through
// Debian's Chromium with playwright-core. Kept out of `npm test`, which needs no browser.
/** @type {import('jest').Config} */
export default {
  rootDir: '.',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  testMatch: ['<rootDir>/test/ui/**/*.ui-spec.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }] },
  maxWorkers: 1,
  testTimeout: 600000,
  verbose: true,
};
