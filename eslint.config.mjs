// ESLint flat config: type-aware typescript-eslint over the package's code
// (src/, kernels/), and the one-way imports of everything around it (tools/,
// test/, benchmarks/, scripts/, examples/). Run with `npm run lint` (part of
// `npm test`).
import tseslint from 'typescript-eslint';

import noChainedTfjsOps from './eslint-rules/no-chained-tfjs-ops.mjs';

/** The folders around the library that share tools/ and import nothing of each other's. */
const TOOLING = ['test', 'benchmarks', 'scripts', 'examples'];

export default tseslint.config(
  {
    files: ['src/**/*.ts', 'kernels/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        // tsconfig.json: its program includes the tests, which import
        // @tensorflow/tfjs, so tfjs-core's chained-op augmentation is there
        // for the local rule to recognise.
        project: './tsconfig.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: {
      '@typescript-eslint': tseslint.plugin,
      local: {rules: {'no-chained-tfjs-ops': noChainedTfjsOps}},
    },
    linterOptions: {reportUnusedDisableDirectives: 'error'},
    rules: {
      'local/no-chained-tfjs-ops': 'error',
      '@typescript-eslint/no-unused-vars': ['error', {
        args: 'after-used',
        argsIgnorePattern: '^_',
        varsIgnorePattern: '^_',
        caughtErrors: 'none',
        ignoreRestSiblings: true,
      }],
    },
  },
  // Tooling imports run one way: tools/ stands on the library only; test/,
  // benchmarks/, scripts/ and examples/ stand on the library and tools/, never
  // on each other, except that the tests of the benchmark harness and of the
  // examples import what they test. Syntax only (no type information): cheap.
  {
    files: ['tools/**/*.ts', ...TOOLING.map(d => `${d}/**/*.ts`)],
    ignores: ['test/lint/fixtures/**'],
    languageOptions: {parser: tseslint.parser},
    plugins: {'@typescript-eslint': tseslint.plugin},
    // Only this one rule runs here: directives for the others are not "unused".
    linterOptions: {reportUnusedDisableDirectives: 'off'},
    rules: {'no-restricted-imports': ['error', {patterns: reaching(TOOLING)}]},
  },
  ...[
    ...TOOLING.map(d => [`${d}/**/*.ts`, d]),
    ['test/benchmarks/**/*.ts', 'test', 'benchmarks'],
    ['test/examples/**/*.ts', 'test', 'examples'],
    ['test/e2e/**/*.ts', 'test', 'examples'],
    ['test/ops/linear_cross_entropy_example.test.ts', 'test', 'examples'],
  ].map(([files, ...allowed]) => ({
    files: [files],
    ignores: ['test/lint/fixtures/**'],
    rules: {'no-restricted-imports': ['error', {patterns: reaching(TOOLING.filter(d => !allowed.includes(d)))}]},
  })),
);

/** Import patterns (relative specifiers) that reach into the top-level folders `dirs`. */
function reaching(dirs) {
  return dirs.map(d => ({
    regex: `^(\\.\\./)+${d}(/|$)`,
    message: `${d}/ is imported only by its own files (and its tests); ` +
        'shared tooling goes in tools/, which imports only src/ and kernels/',
  }));
}
