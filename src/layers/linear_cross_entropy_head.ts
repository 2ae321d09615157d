/**
 * LinearCrossEntropyHead: a tfjs-layers layer holding the output projection
 * (kernel `[H, V]` like tf.layers.dense, optional bias `[V]`) of a model with
 * a large vocabulary, whose output is
 *  - the loss, when called on `[hidden, labels]` (training and evaluation):
 *    linearSoftmaxCrossEntropy in chunks, never the `[N, V]` logits;
 *  - the logits `[..., V]`, or the top-k `[values, indices]` computed chunk by
 *    chunk, when called on `hidden` alone (inference).
 *
 * Training with model.fit: the model takes the labels as a second input and
 * outputs the loss; compile it with `headOutputLoss`, which passes that output
 * through, and give fit dummy targets of the output's shape. One layer object
 * serves both a training model and an inference model (shared weights):
 *
 * ```js
 * const V = 500, context = 8;                                        // vocabulary, tokens of context
 * const x = tf.randomUniformInt([64, context], 0, V);                // token ids [batch, context]
 * const y = tf.randomUniformInt([64], 0, V);                         // the next token of each row
 * const tokens = tf.input({shape: [context], dtype: 'int32'});
 * const labels = tf.input({shape: [1], dtype: 'int32'});
 * const hidden = tf.layers.dense({units: 64, activation: 'relu'}).apply(
 *     tf.layers.flatten().apply(tf.layers.embedding({inputDim: V, outputDim: 16}).apply(tokens)));
 * const head = new LinearCrossEntropyHead({units: V, zLoss: 1e-4});
 * const train = tf.model({inputs: [tokens, labels], outputs: head.apply([hidden, labels])});
 * train.compile({optimizer: 'adam', loss: headOutputLoss});
 * await train.fit([x, y], tf.zeros([64, 1]), {epochs: 2});          // targets are ignored
 * const predict = tf.model({inputs: tokens, outputs: head.apply(hidden)});  // logits [batch, V]
 * predict.predict(x.slice(0, 2)).print();
 * ```
 *
 * The loss output has one entry per labelled position (`[batch, 1]` for
 * `[batch]` labels, `[batch, T]` for `[batch, T]`). By default every entry holds
 * the batch's mean over its non-ignored positions (so Keras's mean of the
 * output is exactly that mean, with Keras 3's ignore_class semantics, and the
 * backward pass costs three matMuls, the gradients being formed during the
 * forward pass). With `perExampleLoss: true` the entries are the real
 * per-position losses (ignored positions 0), for sample weights; Keras then
 * averages over all positions, and the backward pass recomputes the logits
 * (one extra matMul, see linear_cross_entropy.ts).
 */
// No chained ops (x.slice(), x.toInt()): they exist only where @tensorflow/tfjs registered them.
import {Tensor, Tensor1D, Tensor2D, broadcastTo, concat, fused, reshape, serialization, slice, squeeze, tidy, topk} from '@tensorflow/tfjs-core';
import {initializers, layers} from '@tensorflow/tfjs-layers';
import type {LayerArgs} from '@tensorflow/tfjs-layers/dist/engine/topology';
import type {LayerVariable} from '@tensorflow/tfjs-layers';
import {autoChunkSize, linearSoftmaxCrossEntropy} from '../ops/linear_cross_entropy';

type Shape = Array<number | null>;

/** Construction options (all serialisable). */
export interface LinearCrossEntropyHeadArgs extends LayerArgs {
  /** The vocabulary size V. */
  units: number;
  /** Add a bias `[V]` (default true). */
  useBias?: boolean;
  /** 'logits' (default): `[..., V]`; 'topk': `[values, indices]` of the `topK` largest logits, chunk by chunk. */
  inference?: 'logits' | 'topk';
  /** k for `inference: 'topk'` (default 5). */
  topK?: number;
  /** Labels equal to this are ignored (loss 0, not counted in the mean). */
  ignoreIndex?: number;
  labelSmoothing?: number;
  zLoss?: number;
  /** Rows per chunk (default: automatic from `memoryBudgetBytes`). */
  chunkSize?: number;
  memoryBudgetBytes?: number;
  /** Output real per-position losses instead of the broadcast batch mean (see above). */
  perExampleLoss?: boolean;
  /** Seed of the default Glorot-uniform kernel initializer. */
  seed?: number;
}

/**
 * The loss to compile a model whose output is a LinearCrossEntropyHead's loss:
 * returns the output (the targets are ignored; pass zeros of its shape).
 */
export function headOutputLoss(_yTrue: Tensor, yPred: Tensor): Tensor {
  return yPred;
}

export class LinearCrossEntropyHead extends layers.Layer {
  static className = 'LinearCrossEntropyHead';
  readonly units: number;
  readonly useBias: boolean;
  readonly inference: 'logits' | 'topk';
  readonly topK: number;
  readonly ignoreIndex?: number;
  readonly labelSmoothing: number;
  readonly zLoss: number;
  readonly chunkSize?: number;
  readonly memoryBudgetBytes?: number;
  readonly perExampleLoss: boolean;
  readonly seed?: number;
  private kernel: LayerVariable | null = null;
  private bias: LayerVariable | null = null;

  constructor(args: LinearCrossEntropyHeadArgs) {
    super(args);
    if (!(Number.isInteger(args.units) && args.units > 0)) {
      throw new Error(`LinearCrossEntropyHead: units must be a positive integer, got ${args.units}`);
    }
    this.units = args.units;
    this.useBias = args.useBias ?? true;
    this.inference = args.inference ?? 'logits';
    if (this.inference !== 'logits' && this.inference !== 'topk') {
      throw new Error(`LinearCrossEntropyHead: inference must be 'logits' or 'topk', got ${this.inference}`);
    }
    this.topK = args.topK ?? 5;
    this.ignoreIndex = args.ignoreIndex;
    this.labelSmoothing = args.labelSmoothing ?? 0;
    this.zLoss = args.zLoss ?? 0;
    this.chunkSize = args.chunkSize;
    this.memoryBudgetBytes = args.memoryBudgetBytes;
    this.perExampleLoss = args.perExampleLoss ?? false;
    this.seed = args.seed;
  }

  private static hiddenShape(inputShape: Shape | Shape[]): Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
  }

  override build(inputShape: Shape | Shape[]): void {
    const hidden = LinearCrossEntropyHead.hiddenShape(inputShape);
    const H = hidden[hidden.length - 1];
    if (H == null) {
      throw new Error('LinearCrossEntropyHead: the last axis of hidden must be known');
    }
    this.kernel = this.addWeight('kernel', [H, this.units], 'float32', initializers.glorotUniform({seed: this.seed}));
    if (this.useBias) {
      this.bias = this.addWeight('bias', [this.units], 'float32', initializers.zeros());
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    if (Array.isArray(inputShape[0])) {
      return this.lossShape(inputShape[1] as Shape);
    }
    const rows = (inputShape as Shape).slice(0, -1);
    return this.inference === 'logits' ? [...rows, this.units] : [[...rows, this.topK], [...rows, this.topK]];
  }

  /** Labels' shape without a trailing 1 (fit feeds [batch] labels as [batch, 1]), at least rank 2. */
  private lossShape(labelsShape: Shape): Shape {
    const s = labelsShape.length >= 2 && labelsShape[labelsShape.length - 1] === 1 ? labelsShape.slice(0, -1) : labelsShape;
    return s.length === 1 ? [s[0], 1] : s;
  }

  override call(inputs: Tensor | Tensor[]): Tensor | Tensor[] {
    const W = this.kernel!.read() as Tensor2D;
    const b = this.bias == null ? undefined : this.bias.read() as Tensor1D;
    if (Array.isArray(inputs) && inputs.length === 2) {
      const [hidden, rawLabels] = inputs;
      const labels = rawLabels.rank === hidden.rank && rawLabels.shape[rawLabels.rank - 1] === 1 ? squeeze(rawLabels, [-1]) : rawLabels;
      const outShape = this.lossShape(rawLabels.shape);
      const loss = linearSoftmaxCrossEntropy(hidden, W, labels, {  // float ids as they are: the op never truncates 1.5 or NaN
        bias: b, weightLayout: 'HV', reduction: this.perExampleLoss ? 'none' : 'mean',
        ignoreIndex: this.ignoreIndex, labelSmoothing: this.labelSmoothing, zLoss: this.zLoss,
        chunkSize: this.chunkSize, memoryBudgetBytes: this.memoryBudgetBytes,
      });
      return this.perExampleLoss ? reshape(loss, outShape as number[]) : broadcastTo(loss, outShape as number[]);
    }
    const hidden = Array.isArray(inputs) ? inputs[0] : inputs;
    return tidy(() => {
      const H = hidden.shape[hidden.rank - 1];
      const rows = hidden.shape.slice(0, -1);
      const h2 = reshape(hidden, [-1, H]) as Tensor2D;
      if (this.inference === 'logits') {
        return reshape(fused.matMul({a: h2, b: W, bias: b}), [...rows, this.units]);
      }
      return this.topkInChunks(h2, W, b).map(t => reshape(t, [...rows, this.topK]));
    });
  }

  /** Top-k of the logits, `chunkSize` rows at a time: never the `[N, V]` logits. */
  private topkInChunks(h2: Tensor2D, W: Tensor2D, b?: Tensor1D): Tensor[] {
    const N = h2.shape[0];
    const n = this.chunkSize ?? autoChunkSize(N, this.units, this.memoryBudgetBytes, 1);
    const values: Tensor[] = [], indices: Tensor[] = [];
    for (let r0 = 0; r0 < N; r0 += n) {
      const rows = Math.min(n, N - r0);
      const top = tidy(() => topk(fused.matMul({a: slice(h2, [r0, 0], [rows, -1]), b: W, bias: b}), this.topK));
      values.push(top.values);
      indices.push(top.indices);
    }
    return values.length === 1 ? [values[0], indices[0]] : [concat(values), concat(indices)];
  }

  override getConfig(): serialization.ConfigDict {
    const config: serialization.ConfigDict = {
      units: this.units, useBias: this.useBias, inference: this.inference, topK: this.topK,
      labelSmoothing: this.labelSmoothing, zLoss: this.zLoss, perExampleLoss: this.perExampleLoss,
    };
    for (const [k, v] of [['ignoreIndex', this.ignoreIndex], ['chunkSize', this.chunkSize],
                          ['memoryBudgetBytes', this.memoryBudgetBytes], ['seed', this.seed]] as const) {
      if (v != null) config[k] = v;
    }
    return {...config, ...super.getConfig()};
  }
}

serialization.registerClass(LinearCrossEntropyHead);
