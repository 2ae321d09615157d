// WebGPU in Node (test/webgpu_node.test.ts): Dawn's Vulkan loader reads these
// from the real environment, which a test's sandboxed process.env cannot
// change, so they are set here, before any test process starts. SwiftShader
// comes with Debian's chromium (same defaults as .ci/run).
if (!process.env.VK_ICD_FILENAMES && require('fs').existsSync('/usr/lib/chromium/vk_swiftshader_icd.json')) {
  process.env.VK_ICD_FILENAMES = '/usr/lib/chromium/vk_swiftshader_icd.json';
}
process.env.XDG_RUNTIME_DIR = process.env.XDG_RUNTIME_DIR || '/tmp';

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
