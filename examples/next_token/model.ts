/**
 * The next-token example's model, training loop, sampling and memory
 * measurement, with no Node or browser API: the corpus comes in as a string.
 * Run by examples/next_token/train.ts (Node, corpus read from the typescript
 * package) and examples/next_token/browser/main.ts (the browser, the same file
 * served by browser/serve.ts).
 *
 * Model: the previous `context` characters, one-hot → a bias-free dense layer
 * per position (an embedding) → flatten → dense (relu) → LinearCrossEntropyHead
 * over the character vocabulary. (Not tf.layers.embedding: its gradient on the
 * cpu backend, UnsortedSegmentSum, took 1.1 s of a 2.1 s step at batch 256.) One layer
 * object serves a training model ([tokens, nextChar] → loss) and a sampling
 * model (tokens → logits). It reports the loss falling (against the unigram
 * entropy of the corpus, what a model without context achieves), sampled
 * text, and the peak memory of one forward + backward of the loss head,
 * chunked vs the materialised logits: bytes the backend allocates where it has
 * a byte tracker (cpu, webgpu: tools/linear_ce_memory.ts),
 * otherwise (webgl) the bytes of live tensor buffers sampled after every
 * kernel (benchmarks/harness.ts).
 */
import * as tf from '@tensorflow/tfjs';
import '../../src/index';
import {linearSoftmaxCrossEntropy, sparseSoftmaxCrossEntropyWithLogits} from '../../src/index';
import {headOutputLoss, LinearCrossEntropyHead} from '../../src/layers/linear_cross_entropy_head';
import {extraPeakBytes, placeOnDevice, trackBackendBytes} from '../../tools/linear_ce_memory';
import {trackPeakMemory} from '../../tools/peak_memory';
import {rng} from '../../tools/random';

export interface NextTokenOptions {
  quick?: boolean;
  steps?: number;
  batchSize?: number;
  context?: number;
  hidden?: number;
  /** Rows per chunk of the loss head. */
  chunkSize?: number;
  seed?: number;
  /** Rows of the loss-head memory comparison (default: the batch size and 4096). */
  memoryRows?: number[];
  /** Characters to sample (default 120 quick, 400 otherwise). */
  sampleChars?: number;
  log?: (line: string) => void;
  /** Called after every training step with the step's loss (e.g. to plot it). */
  onStep?: (step: number, loss: number) => void;
  /** Called between steps so that a page can repaint (the browser example yields to the event loop here). */
  yieldEvery?: number;
  yieldFn?: () => Promise<void>;
}

export interface NextTokenSummary {
  corpusChars: number;
  vocab: number;
  steps: number;
  unigramEntropy: number;
  /** Mean training loss over the first and the last 10 % of the steps (nats per character). */
  firstLoss: number;
  lastLoss: number;
  heldOutLoss: number;
  /** The prompt the sample continues, and the sampled characters. */
  prompt: string;
  sample: string;
  /** Every step's training loss. */
  losses: number[];
  /** Peak extra bytes of the loss head's forward + backward at the last of `memoryRows`: chunked, materialised logits. */
  peakChunkedBytes: number;
  peakUnfusedBytes: number;
  /** Rows of that comparison, and what was counted. */
  memoryRows: number;
  memoryCounter: 'backend allocations' | 'live tensor buffers';
  seconds: number;
}

/**
 * Peak extra bytes of `fn` (one forward + backward), counted at backend
 * allocations where the backend has a tracker, else as live tensor buffers.
 */
async function peakBytes(fn: () => tf.Tensor[], inputs: tf.Tensor[]): Promise<[number, NextTokenSummary['memoryCounter']]> {
  const probe = trackBackendBytes();
  if (probe != null) {
    probe.stop();
    return [await extraPeakBytes(fn, inputs), 'backend allocations'];
  }
  placeOnDevice(inputs);
  const mem = await trackPeakMemory(async sample => {
    const out = fn();
    sample();
    await Promise.all(out.map(t => t.data()));
    tf.dispose(out);
  });
  return [mem.peakExtraBytes, 'live tensor buffers'];
}

/** Trains on `text` (a corpus of characters) and reports; `corpusName` only labels the log. */
export async function trainNextToken(text: string, corpusName: string, o: NextTokenOptions = {}): Promise<NextTokenSummary> {
  const t0 = Date.now();
  const log = o.log ?? console.log;
  const quick = o.quick ?? false;
  // Quick: about 20 s on 2 busy cpu cores (tfjs's cpu matMul runs at ~0.4 GFLOP/s there).
  const steps = o.steps ?? (quick ? 300 : 1500);
  const batchSize = o.batchSize ?? (quick ? 128 : 256);
  const context = o.context ?? (quick ? 12 : 16);
  const hiddenUnits = o.hidden ?? (quick ? 96 : 128);
  const embedding = quick ? 16 : 24;
  const chunkSize = o.chunkSize ?? 32;
  const rand = rng(o.seed ?? 7);

  const chars = [...new Set(text)].sort();
  const V = chars.length;
  const id = new Map(chars.map((c, i) => [c, i]));
  const ids = Int32Array.from(text, c => id.get(c)!);
  // The last 10 % is held out.
  const split = Math.floor(ids.length * 0.9);
  const counts = new Float64Array(V);
  for (let i = 0; i < split; i++) counts[ids[i]]++;
  const unigramEntropy = -counts.reduce((s, c) => s + (c > 0 ? (c / split) * Math.log(c / split) : 0), 0);
  log(`corpus: ${corpusName}, ${ids.length} characters, vocabulary ${V}; ` +
      `unigram entropy ${unigramEntropy.toFixed(3)} nats/char (no context)`);

  const batch = (from: number, to: number, n: number) => {
    const x = new Int32Array(n * context), y = new Int32Array(n);
    for (let b = 0; b < n; b++) {
      const end = from + context + Math.floor(rand() * (to - from - context));
      x.set(ids.subarray(end - context, end), b * context);
      y[b] = ids[end];
    }
    return {x: oneHot(x, n), y: tf.tensor2d(y, [n, 1], 'int32')};
  };
  const oneHot = (x: ArrayLike<number>, n: number) => {
    const out = new Float32Array(n * context * V);
    for (let i = 0; i < n * context; i++) out[i * V + x[i]] = 1;
    return tf.tensor3d(out, [n, context, V]);
  };

  const tokens = tf.input({shape: [context, V]});
  const next = tf.input({shape: [1], dtype: 'int32'});
  const embedded = tf.layers.dense({units: embedding, useBias: false, kernelInitializer: tf.initializers.randomNormal({stddev: 0.3, seed: 1})}).apply(tokens);
  const hidden = tf.layers.dense({units: hiddenUnits, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({seed: 2})})
      .apply(tf.layers.flatten().apply(embedded)) as tf.SymbolicTensor;
  const head = new LinearCrossEntropyHead({units: V, chunkSize, seed: 3});
  const trainModel = tf.model({inputs: [tokens, next], outputs: head.apply([hidden, next]) as tf.SymbolicTensor});
  trainModel.compile({optimizer: tf.train.adam(3e-3), loss: headOutputLoss});
  const sampleModel = tf.model({inputs: tokens, outputs: head.apply(hidden) as tf.SymbolicTensor});

  const losses: number[] = [];
  const ignoredTargets = tf.zeros([batchSize, 1]);  // fit/trainOnBatch want targets; headOutputLoss ignores them
  const every = Math.max(1, Math.floor(steps / 10));
  for (let s = 1; s <= steps; s++) {
    const {x, y} = batch(0, split, batchSize);
    losses.push(await trainModel.trainOnBatch([x, y], ignoredTargets) as number);
    tf.dispose([x, y]);
    o.onStep?.(s, losses[losses.length - 1]);
    if (o.yieldFn != null && s % (o.yieldEvery ?? 1) === 0) {
      await o.yieldFn();
    }
    if (s % every === 0 || s === 1) {
      const recent = losses.slice(-every);
      log(`step ${String(s).padStart(5)}  loss ${(recent.reduce((a, b) => a + b, 0) / recent.length).toFixed(3)} nats/char`);
    }
  }
  const tenth = Math.max(1, Math.floor(steps / 10));
  const mean = (a: number[]) => a.reduce((p, q) => p + q, 0) / a.length;
  const firstLoss = mean(losses.slice(0, tenth)), lastLoss = mean(losses.slice(-tenth));

  const held = batch(split, ids.length, 2048);
  const heldOutTensor = trainModel.predict([held.x, held.y]) as tf.Tensor;
  const heldOutLoss = (await heldOutTensor.data())[0];
  log(`held-out loss ${heldOutLoss.toFixed(3)} nats/char (unigram ${unigramEntropy.toFixed(3)})`);

  // Sampling at temperature 0.7 from a prompt taken from the corpus, drawn here from the read-back
  // logits with the seeded generator (tf.multinomial on tfjs-backend-webgpu 4.22 returned index 0
  // for every draw on Dawn/SwiftShader and in Chromium).
  const prompt = 'interface Array<T> {\n    /**\n'.slice(-context).padStart(context, ' ');
  const window = Array.from(prompt, c => id.get(c) ?? 0);
  let sample = '';
  for (let i = 0; i < (o.sampleChars ?? (quick ? 120 : 400)); i++) {
    const x = oneHot(window.slice(-context), 1);
    const logits = sampleModel.predict(x) as tf.Tensor;
    const z = await logits.data();
    tf.dispose([x, logits]);
    const m = Math.max(...z);
    const p = Array.from(z, v => Math.exp((v - m) / 0.7));
    let u = rand() * p.reduce((a, b) => a + b, 0);
    let c = 0;
    while (c < V - 1 && (u -= p[c]) > 0) c++;
    window.push(c);
    sample += chars[c];
  }
  log(`sample (prompt ${JSON.stringify(prompt)}):\n${prompt}${sample}`);

  // Memory of the loss head for one forward + backward, chunked vs materialised logits, at the
  // training batch and at 4096 rows (e.g. 16 sequences × 256 positions scored at once).
  const [W, b] = head.getWeights();
  const features = tf.model({inputs: tokens, outputs: hidden});
  const peaks: Array<[number, number, number]> = [];
  let memoryCounter: NextTokenSummary['memoryCounter'] = 'backend allocations';
  for (const rows of o.memoryRows ?? [batchSize, 4096]) {
    const m = batch(0, split, rows);
    const h = features.predict(m.x) as tf.Tensor;
    const labels = m.y.reshape([-1]);
    const inputs = [h, W, b, labels];
    const [chunked, counter] = await peakBytes(() => tf.grads((hh: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
        linearSoftmaxCrossEntropy(hh, ww, labels, {bias: bb, weightLayout: 'HV', chunkSize}))([h, W, b]), inputs);
    const [unfused] = await peakBytes(() => tf.grads((hh: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
        tf.mean(sparseSoftmaxCrossEntropyWithLogits(labels, tf.add(tf.matMul(hh, ww), bb))))([h, W, b]), inputs);
    memoryCounter = counter;
    peaks.push([rows, chunked, unfused]);
    log(`loss head, forward + backward of ${rows} rows × ${V} classes (hidden ${hiddenUnits}): peak extra ` +
        `${(chunked / 1024).toFixed(0)} KiB in chunks of ${chunkSize} vs ${(unfused / 1024).toFixed(0)} KiB ` +
        `with materialised logits (${(unfused / chunked).toFixed(1)}× less; ${counter})`);
    tf.dispose([m.x, m.y, h, labels]);
  }
  tf.dispose([held.x, held.y, heldOutTensor, ignoredTargets]);
  trainModel.optimizer.dispose();
  trainModel.dispose();  // disposes every layer's weights (the sampling model shares them)
  const [memoryRows, peakChunkedBytes, peakUnfusedBytes] = peaks[peaks.length - 1];

  const seconds = (Date.now() - t0) / 1000;
  log(`${steps} steps in ${seconds.toFixed(1)} s on ${tf.getBackend()}`);
  return {corpusChars: ids.length, vocab: V, steps, unigramEntropy, firstLoss, lastLoss, heldOutLoss, prompt, sample, losses,
          peakChunkedBytes, peakUnfusedBytes, memoryRows, memoryCounter, seconds};
}
