/**
 * Sparse softmax cross-entropy at language-model vocabularies (50257, 128256, 262144): `npx tsx benchmarks/large_vocabulary.bench.ts [flags]`.
 * The suite itself (providers, shapes, modes) is `large-vocab-sparse-ce` in suites.ts; flags
 * as in cli.ts (e.g. `--backends cpu --full`).
 */
import {main} from './run';

main(['--suites', 'large-vocab-sparse-ce', ...process.argv.slice(2)]).catch(e => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
