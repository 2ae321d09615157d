/**
 * Local ESLint rule: no chained tfjs ops (`x.mul(y)`, `x.reshape(s)`, ...).
 *
 * tfjs-core declares the chained-op methods on `Tensor` in its
 * `dist/public/chained_ops/*` module augmentations and installs them at run
 * time only when something imports `@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops`
 * (which `@tensorflow/tfjs` does, the declared peers tfjs-core and
 * tfjs-layers do not). A chained call in this package therefore compiles in
 * the test program (tests import `@tensorflow/tfjs`) but fails for users with
 * the declared peers alone (`grad.mul is not a function`). Call the tfjs-core
 * function instead: `mul(x, y)`.
 *
 * Type-aware: it asks the type checker where the called property is declared,
 * so it needs the augmentation in the linted program (tsconfig.json has it
 * through the tests; without it a chained call is a type error anyway).
 */
import {ESLintUtils} from '@typescript-eslint/utils';

const CHAINED_OPS_DIR = /[\\/]@tensorflow[\\/]tfjs-core[\\/]dist[\\/]public[\\/]chained_ops[\\/]/;

/** True when every declaration of the symbol is a tfjs-core chained-op augmentation. */
function isChainedOpSymbol(symbol) {
  const decls = symbol?.declarations ?? [];
  return decls.length > 0 && decls.every(d => CHAINED_OPS_DIR.test(d.getSourceFile().fileName));
}

/** @type {import('@typescript-eslint/utils').TSESLint.RuleModule<'chained', []>} */
const rule = {
  meta: {
    type: 'problem',
    docs: {description: "Disallow tfjs's chained-op methods (x.mul(y)): they exist only when @tensorflow/tfjs is imported"},
    messages: {
      chained: "'{{name}}' is a chained tfjs op (declared in tfjs-core's public/chained_ops, installed only by " +
               "@tensorflow/tfjs, not by the declared peers): call tfjs-core's {{name}}(...) function instead.",
    },
    schema: [],
  },
  create(context) {
    const services = ESLintUtils.getParserServices(context);
    const checker = services.program.getTypeChecker();
    return {
      'CallExpression > MemberExpression.callee'(node) {
        if (node.computed || node.property.type !== 'Identifier') {
          return;
        }
        const name = node.property.name;
        let symbol = services.getSymbolAtLocation(node.property);
        if (symbol == null) {
          // Unions and the like: look the property up on the object's type.
          symbol = services.getTypeAtLocation(node.object).getProperty(name);
        }
        if (symbol != null && isChainedOpSymbol(checker.getMergedSymbol?.(symbol) ?? symbol)) {
          context.report({node: node.property, messageId: 'chained', data: {name}});
        }
      },
    };
  },
};

export default rule;
