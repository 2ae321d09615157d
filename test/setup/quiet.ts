/**
 * Jest setup (every test file): drops tfjs-backend-cpu's "install tfjs-node"
 * banner, printed with a stack trace the first time each test file writes a
 * tensor in Node. Only that exact message is dropped; every other warning is
 * printed as before.
 */
const BANNER = 'Hi, looks like you are running TensorFlow.js in Node.js';
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes(BANNER)) {
    return;
  }
  warn(...args);
};
