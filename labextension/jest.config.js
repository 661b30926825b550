/** Unit tests: TypeScript through ts-jest, in Node (no browser, no DOM). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json' }]
  },
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json']
};
