/**
 * tfjs-fused-cross-entropy: fused softmax / sigmoid cross-entropy for
 * TensorFlow.js. Importing this module registers every kernel (cpu, webgl,
 * webgpu) and gradient it has; a second import is a no-op.
 */
import {registerAllKernels} from '../kernels/register_all';
import {registerGradients} from './gradients/register_gradients';

registerAllKernels();
registerGradients();

export {FORCE_COMPOSITE_FLAG, isCompositeForced, setForceComposite} from './flags';
export {softmaxCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits} from './ops/softmax_cross_entropy';
export type {SoftmaxCrossEntropyOptions, SparseSoftmaxCrossEntropyOptions} from './ops/softmax_cross_entropy';
export {sigmoidCrossEntropyWithLogits} from './ops/sigmoid_cross_entropy';
export type {SigmoidCrossEntropyOptions} from './ops/sigmoid_cross_entropy';
export {autoChunkSize, DEFAULT_CHUNK_BUDGET_BYTES, linearSoftmaxCrossEntropy} from './ops/linear_cross_entropy';
export type {LinearCrossEntropyReduction, LinearSoftmaxCrossEntropyOptions, WeightLayout} from './ops/linear_cross_entropy';
// Keras-style output layer for large vocabularies (loss in chunks when given labels, logits / top-k alone).
export {headOutputLoss, LinearCrossEntropyHead} from './layers/linear_cross_entropy_head';
export type {LinearCrossEntropyHeadArgs} from './layers/linear_cross_entropy_head';
export {useFusedKernel} from './ops/fused';
export * as kernelNames from '../kernels/kernel_names';
// Drop-in tf.losses twins (`losses.*`), Keras-style loss classes, compileWithSparseLabels.
export * from './losses';
// Focal cross-entropy ops (fused on cpu, webgl and webgpu) and losses, KL divergence, distillation.
export {sigmoidFocalCrossEntropyWithLogits, softmaxFocalCrossEntropyWithLogits, sparseSoftmaxFocalCrossEntropyWithLogits} from './ops/focal_cross_entropy';
export type {BinaryFocalCrossEntropyOptions, FocalCrossEntropyOptions, SparseFocalCrossEntropyOptions} from './ops/focal_cross_entropy';
export {BinaryFocalCrossentropy, CategoricalFocalCrossentropy, SparseCategoricalFocalCrossentropy} from './losses/focal';
export type {BinaryFocalCrossentropyArgs, CategoricalFocalCrossentropyArgs, SparseCategoricalFocalCrossentropyArgs} from './losses/focal';
export {DistillationLoss, distillationTargets, KLDivergence} from './losses/distillation';
export type {DistillationLossArgs, KLDivergenceArgs} from './losses/distillation';
// Calibration (browser-safe core); diagrams: src/calibration/diagram (vega), PNG files: src/calibration/node.
export * from './calibration';
