/**
 * Softmax cross-entropy with dense labels: `npx tsx benchmarks/softmax_cross_entropy.bench.ts [flags]`.
 * The suite itself (providers, shapes, modes) is `softmax-ce` in suites.ts; flags
 * as in cli.ts (e.g. `--backends cpu --full`).
 */
import {main} from './run';

main(['--suites', 'softmax-ce', ...process.argv.slice(2)]).catch(e => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
