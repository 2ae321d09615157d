/**
 * tfjs-node (`tensorflow` backend) kernels: the forward delegates to
 * TensorFlow's own fused ops, SoftmaxCrossEntropyWithLogits (dense) and
 * SparseSoftmaxCrossEntropyWithLogits (int labels), rank 2, through the
 * backend's op execution; the saved (m, s) per row (kernel_names.ts: m the
 * max logit, s = Σ exp((x − m)/T), a +∞ logit making s NaN) and the backward
 * run as native TensorFlow ops through tfjs, p = exp((x − m)/T)/s (no float32
 * lse: FORMULAS.md, "Precision"). Options TensorFlow's ops cannot express (class weights, z-loss,
 * ignoreIndex, smoothing on sparse labels) are declared unsupported in
 * register_tensorflow.ts, and the ops take the composite path for them.
 *
 * Temperature is applied by scaling the logits first (z = x/T), dense label
 * smoothing by transforming the labels (ŷ = (1 − ε)·y + ε/C): both exact.
 * −∞ logits are clamped to −FLT_MAX before TensorFlow's op, whose
 * `labels·log_softmax` would turn 0·(−∞) into NaN (FORMULAS.md skips those terms).
 */
import {add, concat, div, equal, exp, KernelConfig, KernelFunc, log, max, maximum, mul, reshape, scalar, slice, sub, sum, Tensor, TensorInfo, tidy, expandDims, oneHot, fill, where} from '@tensorflow/tfjs-core';
import {SoftmaxCrossEntropy, SoftmaxCrossEntropyAttrs, SoftmaxCrossEntropyGrad, SoftmaxCrossEntropyGradAttrs, SparseSoftmaxCrossEntropy, SparseSoftmaxCrossEntropyGrad} from '../kernel_names';

/** The part of tfjs-node's NodeJSKernelBackend these kernels use (no import: tfjs-node is optional). */
interface TensorflowBackend {
  binding: {TF_ATTR_TYPE: number, TF_FLOAT: number, TF_INT32: number};
  executeMultipleOutputs(name: string, opAttrs: object[], inputs: TensorInfo[], numOutputs: number): Tensor[];
}

const FLT_MAX = 3.4028234663852886e38;

/** z = x / T with −∞ clamped to −FLT_MAX. */
function scaledLogits(x: Tensor, attrs: SoftmaxCrossEntropyAttrs): Tensor {
  const z = attrs.temperature === 1 ? x : div(x, attrs.temperature);
  return maximum(z, scalar(-FLT_MAX));
}

/**
 * The saved second output, (m, s) per row [rows, 2]: m = max_c x, s = Σ exp((x − m)/T),
 * NaN where m is +∞ (FORMULAS.md: a +∞ logit makes the row NaN).
 */
function rowStats(x: Tensor, T: number): Tensor {
  const m = max(x, 1, true);
  const d = sub(x, m);
  const s = sum(exp(T === 1 ? d : div(d, T)), 1, true);
  return concat([m, where(equal(m, scalar(Infinity)), fill(s.shape, NaN), s)], 1);
}

/** m, s ([rows, 1] each) of a saved (m, s), and d = (x − m)/T [rows, C]. */
function splitStats(x: Tensor, stats: Tensor, T: number): {m: Tensor, s: Tensor, d: Tensor} {
  const m = slice(stats, [0, 0], [-1, 1]);
  const s = slice(stats, [0, 1], [-1, 1]);
  const d = sub(x, m);
  return {m, s, d: T === 1 ? d : div(d, T)};
}

function denseForward(args: {inputs: {logits: TensorInfo, labels: TensorInfo}, backend: unknown, attrs: SoftmaxCrossEntropyAttrs}): TensorInfo[] {
  const backend = args.backend as TensorflowBackend;
  const {attrs} = args;
  const C = args.inputs.logits.shape[1];
  return tidy(() => {
    const z = scaledLogits(args.inputs.logits as Tensor, attrs);
    const labels = args.inputs.labels as Tensor;
    const y = attrs.labelSmoothing === 0 ? labels : add(mul(labels, 1 - attrs.labelSmoothing), attrs.labelSmoothing / C);
    const T = {name: 'T', type: backend.binding.TF_ATTR_TYPE, value: backend.binding.TF_FLOAT};
    const [loss] = backend.executeMultipleOutputs('SoftmaxCrossEntropyWithLogits', [T], [z, y], 2);
    return [loss, rowStats(args.inputs.logits as Tensor, attrs.temperature)];
  });
}

function sparseForward(args: {inputs: {logits: TensorInfo, labels: TensorInfo}, backend: unknown, attrs: SoftmaxCrossEntropyAttrs}): TensorInfo[] {
  const backend = args.backend as TensorflowBackend;
  return tidy(() => {
    const z = scaledLogits(args.inputs.logits as Tensor, args.attrs);
    const b = backend.binding;
    const opAttrs = [{name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT}, {name: 'Tlabels', type: b.TF_ATTR_TYPE, value: b.TF_INT32}];
    const [loss] = backend.executeMultipleOutputs('SparseSoftmaxCrossEntropyWithLogits', opAttrs, [z, args.inputs.labels], 2);
    return [loss, rowStats(args.inputs.logits as Tensor, args.attrs.temperature)];
  });
}

/**
 * dx = dy/T · (W·p − ŷ), p = exp((x − m)/T)/s from the saved (m, s), the 1/s
 * folded into W; W = Σ_c ŷ (no class weights, no z-loss here).
 */
function logitsGrad(x: Tensor, yh: Tensor, stats: Tensor, dy: Tensor, T: number): Tensor {
  const {s, d} = splitStats(x, stats, T);
  const W = sum(yh, 1, true);
  return mul(div(expandDims(dy, 1), T), sub(mul(div(W, s), exp(d)), yh));
}

function denseGrad(args: {inputs: {logits: TensorInfo, labels: TensorInfo, lse: TensorInfo, dy: TensorInfo}, attrs: SoftmaxCrossEntropyGradAttrs}): TensorInfo {
  const {attrs} = args;
  const {logits, labels, lse, dy} = args.inputs as unknown as Record<string, Tensor>;
  const C = logits.shape[1] as number;
  return tidy(() => {
    if (attrs.wrt === 'labels') {
      // lse − z = log s − (x − m)/T.
      const {s, d} = splitStats(logits, lse, attrs.temperature);
      return mul(mul(expandDims(dy, 1), 1 - attrs.labelSmoothing), sub(log(s), d));
    }
    const yh = attrs.labelSmoothing === 0 ? labels : add(mul(labels, 1 - attrs.labelSmoothing), attrs.labelSmoothing / C);
    return logitsGrad(logits, yh, lse, dy, attrs.temperature);
  });
}

function sparseGrad(args: {inputs: {logits: TensorInfo, labels: TensorInfo, lse: TensorInfo, dy: TensorInfo}, attrs: SoftmaxCrossEntropyGradAttrs}): TensorInfo {
  const {attrs} = args;
  const {logits, labels, lse, dy} = args.inputs as unknown as Record<string, Tensor>;
  return tidy(() => {
    const [rows, C] = logits.shape as number[];
    // tf.oneHot needs depth ≥ 2; with C = 1 every row is class 0.
    const yh = C === 1 ? fill([rows, 1], 1) : oneHot(reshape(labels, [-1]), C, 1, 0, 'float32');
    return logitsGrad(logits, yh, lse, dy, attrs.temperature);
  });
}

const configs = (kernelName: string, kernelFunc: unknown): KernelConfig =>
    ({kernelName, backendName: 'tensorflow', kernelFunc: kernelFunc as KernelFunc});

export const tensorflowKernelConfigs: KernelConfig[] = [
  configs(SoftmaxCrossEntropy, denseForward),
  configs(SparseSoftmaxCrossEntropy, sparseForward),
  configs(SoftmaxCrossEntropyGrad, denseGrad),
  configs(SparseSoftmaxCrossEntropyGrad, sparseGrad),
];
