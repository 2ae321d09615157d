/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {'^.+\\.(t|j)sx?$': ['@swc/jest', {jsc: {target: 'es2020', parser: {syntax: 'typescript'}}}]},
  transformIgnorePatterns: ['/node_modules/(?!(vega|vega-.*|d3-.*|delaunator|robust-predicates|internmap)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testTimeout: 120000,
  // The browser and webgpu suites own a browser / a GPU device: no parallel
  // workers fighting over 2 cores.
  maxWorkers: 2,
};
