/**
 * Sigmoid cross-entropy (multi-label): `npx tsx benchmarks/sigmoid_cross_entropy.bench.ts [flags]`.
 * The suite itself (providers, shapes, modes) is `sigmoid-ce` in suites.ts; flags
 * as in cli.ts (e.g. `--backends cpu --full`).
 */
import {main} from './run';

main(['--suites', 'sigmoid-ce', ...process.argv.slice(2)]).catch(e => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
