/**
 * A character-level next-token model trained in Node with
 * LinearCrossEntropyHead (the chunked linear + cross-entropy of issue 7), on a
 * real text corpus that ships inside an npm package: TypeScript's own
 * `lib.es5.d.ts` (typescript is a devDependency, 218 kB of declarations and
 * doc comments). The model, the loop and the measurements are in model.ts,
 * shared with the browser version (browser/).
 *
 *   npx tsx examples/next_token/train.ts            # 1500 steps
 *   npx tsx examples/next_token/train.ts --quick    # < 60 s (the jest smoke test)
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import {NextTokenOptions, NextTokenSummary, trainNextToken as train} from './model';

export type {NextTokenOptions, NextTokenSummary} from './model';

/** Where the corpus lives: inside the typescript package. */
export const CORPUS_PATH = 'typescript/lib/lib.es5.d.ts';

/** The corpus: TypeScript's ES5 declarations, from the typescript package. */
export function loadCorpus(): string {
  return fs.readFileSync(require.resolve(CORPUS_PATH), 'utf8').replace(/\r\n/g, '\n');
}

/** Trains on the corpus on the active backend. */
export function trainNextToken(o: NextTokenOptions = {}): Promise<NextTokenSummary> {
  return train(loadCorpus(), CORPUS_PATH, o);
}

if (require.main === module) {
  tf.setBackend('cpu').then(() => trainNextToken({quick: process.argv.includes('--quick')})).then(
      () => process.exit(0), e => {
        console.error(e);
        process.exit(1);
      });
}
