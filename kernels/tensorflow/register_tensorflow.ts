/**
 * Registers the `tensorflow` (tfjs-node) kernels and declares which options
 * TensorFlow's fused ops support; the ops use the composite path otherwise.
 * Registering needs no tfjs-node: the kernels are looked up only when the
 * `tensorflow` backend is active. Sigmoid cross-entropy has no fused
 * TensorFlow op: it always takes the composite path there.
 */
import {registerKernelsOnce} from '../register_util';
import {declareCapabilities, registerAttrSupport} from '../capabilities';
import {SoftmaxCrossEntropyAttrs, SoftmaxCrossEntropy, SoftmaxCrossEntropyGrad, SparseSoftmaxCrossEntropy, SparseSoftmaxCrossEntropyGrad} from '../kernel_names';
import {tensorflowKernelConfigs} from './SoftmaxCrossEntropy';

const dense = (a: object) => {
  const attrs = a as SoftmaxCrossEntropyAttrs;
  // The reductions ('all', a scale) take the composite path: not written for TensorFlow's ops.
  return attrs.classWeights == null && attrs.zLoss === 0 && (attrs.reduction ?? 'none') === 'none' &&
      (attrs.scale ?? 1) === 1;
};
const sparse = (a: object) => dense(a) && (a as SoftmaxCrossEntropyAttrs).labelSmoothing === 0 &&
    (a as SoftmaxCrossEntropyAttrs).ignoreIndex == null;

export function registerTensorflowKernels(): void {
  registerKernelsOnce(tensorflowKernelConfigs);
  registerAttrSupport('tensorflow', SoftmaxCrossEntropy, dense);
  registerAttrSupport('tensorflow', SoftmaxCrossEntropyGrad, dense);
  registerAttrSupport('tensorflow', SparseSoftmaxCrossEntropy, sparse);
  registerAttrSupport('tensorflow', SparseSoftmaxCrossEntropyGrad, sparse);
  // TensorFlow's sparse ops fail on an out-of-range label. compositeOnHost stays false: the composite
  // path's host reads are tested on cpu and wasm only.
  declareCapabilities('tensorflow', {hostMemory: true, sparseKernelThrows: true});
}
