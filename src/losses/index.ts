/**
 * Losses: drop-in twins of `tf.losses` (`losses.softmaxCrossEntropy`,
 * `losses.sigmoidCrossEntropy`, `losses.sparseSoftmaxCrossEntropy`), Keras 3
 * style loss classes that go straight into `model.compile`, and the helper that
 * makes integer labels work end to end in tfjs-layers.
 */
export * as losses from './drop_in';
export {Reduction, KERAS_REDUCTIONS} from './reduction';
export type {KerasReduction} from './reduction';
export {Loss} from './loss';
export type {BaseLossArgs, PerExample} from './loss';
export {CategoricalCrossentropy, SparseCategoricalCrossentropy} from './categorical';
export type {CategoricalCrossentropyArgs, SparseCategoricalCrossentropyArgs} from './categorical';
export {BinaryCrossentropy} from './binary';
export type {BinaryCrossentropyArgs} from './binary';
export {compileWithSparseLabels} from './layers_sparse';
export type {SparseCompileArgs} from './layers_sparse';
