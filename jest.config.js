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
  transform: {'^.+\\.(t|j)sx?$|^.+\\.mjs$': ['@swc/jest', {jsc: {target: 'es2020', parser: {syntax: 'typescript'}}}]},
  transformIgnorePatterns: ['/node_modules/(?!(vega|vega-.*|d3-.*|delaunator|robust-predicates|internmap)/)'],
  // vega-canvas's node build probes for node-canvas with a top-level await,
  // which CommonJS (jest) cannot load; its browser build returns null canvases
  // in Node, which is what vega's headless SVG rendering uses anyway.
  moduleNameMapper: {
    '^vega-canvas$': '<rootDir>/node_modules/vega-canvas/build/vega-canvas.browser.js',
    // Relative `./x.js` specifiers (kept for real import() in the CommonJS build) resolve to ./x.ts.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  setupFiles: ['<rootDir>/test/setup/quiet.ts'],
  // After jest's summary: every skipped test by name; under CI only tfjs-node may skip.
  reporters: ['default', '<rootDir>/test/reporters/skip_summary.js'],
  testTimeout: 120000,
  // The browser and webgpu suites own a browser / a GPU device: no parallel
  // workers fighting over 2 cores.
  maxWorkers: 2,
};
