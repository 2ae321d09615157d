/**
 * tfjs-fused-cross-entropy: fused softmax / sigmoid cross-entropy for
 * TensorFlow.js. Importing this module registers every kernel (cpu, webgl,
 * webgpu) and gradient it has; a second import is a no-op.
 */
// Gradients of tfjs-core's own ops (Reshape, Transpose, Mul, Sum, ...), which
// our ops' gradients and composites differentiate through. Only the declared
// peers may be installed (no @tensorflow/tfjs), and tfjs-core registers none
// by itself in CommonJS (its node bundle does not; its
// dist/register_all_gradients is an ESM-only file a CJS build cannot
// require). tfjs-layers, a required peer, registers all of them when it
// loads: its ESM index imports tfjs-core's register_all_gradients, its CJS
// node bundle carries and registers the same configs (into tfjs-core's
// global registry). So this import is kept for that side effect, in both
// builds, whatever else uses tfjs-layers. Checked by the declared-peers smoke
// install (scripts/check-package.ts). The script-tag build maps it to the
// global `tf` of tf.min.js, which registers them itself.
import '@tensorflow/tfjs-layers';

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
export {fusedKernelChoice, useFusedKernel} from './ops/fused';
export type {FusedKernelChoice} from './ops/fused';
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
