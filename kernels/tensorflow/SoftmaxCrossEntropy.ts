/**
 * tfjs-node (`tensorflow` backend) kernels: the forward delegates to
 * TensorFlow's own fused ops, SoftmaxCrossEntropyWithLogits (dense) and
 * SparseSoftmaxCrossEntropyWithLogits (int labels), rank 2, through the
 * backend's op execution; lse and the backward run as native TensorFlow ops
 * through tfjs. Options TensorFlow's ops cannot express (class weights, z-loss,
 * ignoreIndex, smoothing on sparse labels) are declared unsupported in
 * register_tensorflow.ts, and the ops take the composite path for them.
 *
 * Temperature is applied by scaling the logits first (z = x/T), dense label
 * smoothing by transforming the labels (ŷ = (1 − ε)·y + ε/C): both exact.
 * −∞ logits are clamped to −FLT_MAX before TensorFlow's op, whose
 * `labels·log_softmax` would turn 0·(−∞) into NaN (FORMULAS.md skips those terms).
 */
import {add, div, exp, KernelConfig, KernelFunc, logSumExp, maximum, mul, reshape, scalar, sub, sum, Tensor, TensorInfo, tidy, expandDims, oneHot, fill} from '@tensorflow/tfjs-core';
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
    return [loss, logSumExp(z, 1)];
  });
}

function sparseForward(args: {inputs: {logits: TensorInfo, labels: TensorInfo}, backend: unknown, attrs: SoftmaxCrossEntropyAttrs}): TensorInfo[] {
  const backend = args.backend as TensorflowBackend;
  return tidy(() => {
    const z = scaledLogits(args.inputs.logits as Tensor, args.attrs);
    const b = backend.binding;
    const opAttrs = [{name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT}, {name: 'Tlabels', type: b.TF_ATTR_TYPE, value: b.TF_INT32}];
    const [loss] = backend.executeMultipleOutputs('SparseSoftmaxCrossEntropyWithLogits', opAttrs, [z, args.inputs.labels], 2);
    return [loss, logSumExp(z, 1)];
  });
}

/** dx = dy/T · (W·p − ŷ), p = exp(z − lse), W = Σ_c ŷ (no class weights, no z-loss here). */
function logitsGrad(z: Tensor, yh: Tensor, lse: Tensor, dy: Tensor, T: number): Tensor {
  const p = exp(sub(z, expandDims(lse, 1)));
  const W = sum(yh, 1, true);
  return mul(div(expandDims(dy, 1), T), sub(mul(W, p), yh));
}

function denseGrad(args: {inputs: {logits: TensorInfo, labels: TensorInfo, lse: TensorInfo, dy: TensorInfo}, attrs: SoftmaxCrossEntropyGradAttrs}): TensorInfo {
  const {attrs} = args;
  const {logits, labels, lse, dy} = args.inputs as unknown as Record<string, Tensor>;
  const C = logits.shape[1] as number;
  return tidy(() => {
    const z = attrs.temperature === 1 ? logits : div(logits, attrs.temperature);
    if (attrs.wrt === 'labels') {
      return mul(mul(expandDims(dy, 1), 1 - attrs.labelSmoothing), sub(expandDims(lse, 1), z));
    }
    const yh = attrs.labelSmoothing === 0 ? labels : add(mul(labels, 1 - attrs.labelSmoothing), attrs.labelSmoothing / C);
    return logitsGrad(z, yh, lse, dy, attrs.temperature);
  });
}

function sparseGrad(args: {inputs: {logits: TensorInfo, labels: TensorInfo, lse: TensorInfo, dy: TensorInfo}, attrs: SoftmaxCrossEntropyGradAttrs}): TensorInfo {
  const {attrs} = args;
  const {logits, labels, lse, dy} = args.inputs as unknown as Record<string, Tensor>;
  return tidy(() => {
    const z = attrs.temperature === 1 ? logits : div(logits, attrs.temperature);
    const [rows, C] = logits.shape as number[];
    // tf.oneHot needs depth ≥ 2; with C = 1 every row is class 0.
    const yh = C === 1 ? fill([rows, 1], 1) : oneHot(reshape(labels, [-1]), C, 1, 0, 'float32');
    return logitsGrad(z, yh, lse, dy, attrs.temperature);
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
