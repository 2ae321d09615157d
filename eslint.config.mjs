// ESLint flat config: type-aware typescript-eslint over the package's code
// (src/, kernels/). Run with `npm run lint` (part of `npm test`).
import tseslint from 'typescript-eslint';

import noChainedTfjsOps from './eslint-rules/no-chained-tfjs-ops.mjs';

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
);
