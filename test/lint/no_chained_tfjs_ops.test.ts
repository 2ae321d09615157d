/**
 * The local lint rule (eslint-rules/no-chained-tfjs-ops.mjs) fires on chained
 * tfjs ops and only on them: typed linting of small snippets in a tiny
 * program (test/lint/fixtures) that has tfjs-core's chained-op augmentation.
 */
import * as path from 'path';

import {RuleTester} from 'eslint';
import tseslint from 'typescript-eslint';

const rule = require('../../eslint-rules/no-chained-tfjs-ops.mjs').default;

const fixtures = path.join(__dirname, 'fixtures');
const filename = path.join(fixtures, 'file.ts');
const CHAINED = "import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';\n";
const CORE = "import {mul, reshape, scalar, Tensor, tensor1d, Variable} from '@tensorflow/tfjs-core';\n";

const tester = new RuleTester({
  languageOptions: {
    parser: tseslint.parser,
    // Under CI=true typescript-eslint infers a single CLI run and builds its program once from the files
    // on disk, so the snippets RuleTester passes for file.ts would never reach the type checker.
    parserOptions: {project: './tsconfig.json', tsconfigRootDir: fixtures, disallowAutomaticSingleRunInference: true},
  },
});

tester.run('no-chained-tfjs-ops', rule, {
  valid: [
    // tfjs-core functions, the Tensor class's own methods, other objects' methods.
    {filename, code: CHAINED + CORE + 'export const f = (a: Tensor, b: Tensor) => mul(reshape(a, [-1]), b);'},
    {filename, code: CHAINED + CORE + 'const t = tensor1d([1, 2]); t.dataSync(); t.print(); t.clone().dispose(); void t.data();'},
    {filename, code: CHAINED + CORE + 'export const g = (v: Variable) => v.assign(scalar(1));'},
    {filename, code: CHAINED + 'const o = {mul: (a: number) => a}; o.mul(2); [1].map(x => x); Math.exp(1);'},
  ],
  invalid: [
    {
      filename,
      code: CHAINED + CORE + 'export const f = (a: Tensor, b: Tensor) => a.mul(b);',
      errors: [{messageId: 'chained', data: {name: 'mul'}}],
    },
    {
      // Subclasses (Variable), optional calls, chains: each chained op once.
      filename,
      code: CHAINED + CORE + 'export const f = (v: Variable, t?: Tensor) => v.reshape([-1]).sum().add(t?.exp() ?? 0);',
      errors: [
        {messageId: 'chained', data: {name: 'reshape'}},
        {messageId: 'chained', data: {name: 'sum'}},
        {messageId: 'chained', data: {name: 'add'}},
        {messageId: 'chained', data: {name: 'exp'}},
      ],
    },
    {
      // The augmentation as @tensorflow/tfjs brings it, on a union type.
      filename,
      code: "import * as tf from '@tensorflow/tfjs';\nexport const f = (a: tf.Tensor1D | tf.Tensor2D) => a.cast('float32');",
      errors: [{messageId: 'chained', data: {name: 'cast'}}],
    },
  ],
});
