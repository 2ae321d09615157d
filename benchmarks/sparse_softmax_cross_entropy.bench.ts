/**
 * Sparse softmax cross-entropy (int32 class ids): `npx tsx benchmarks/sparse_softmax_cross_entropy.bench.ts [flags]`.
 * The suite itself (providers, shapes, modes) is `sparse-softmax-ce` in suites.ts; flags
 * as in cli.ts (e.g. `--backends cpu --full`).
 */
import {main} from './run';

main(['--suites', 'sparse-softmax-ce', ...process.argv.slice(2)]).catch(e => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
