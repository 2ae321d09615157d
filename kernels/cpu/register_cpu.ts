/** Registers every cpu kernel of the contract (idempotent: no re-registration warnings). */
import {KernelConfig} from '@tensorflow/tfjs-core';
import {registerKernelsOnce} from '../register_util';
import {linearSparseSoftmaxCrossEntropyConfig} from './LinearSparseSoftmaxCrossEntropy';
import {matMulAccumulateConfig, scaleInPlaceConfig} from './MatMulAccumulate';
import {sigmoidCrossEntropyConfig, sigmoidCrossEntropyGradConfig} from './SigmoidCrossEntropy';
import {softmaxCrossEntropyConfig, sparseSoftmaxCrossEntropyConfig} from './SoftmaxCrossEntropy';
import {softmaxCrossEntropyGradConfig, sparseSoftmaxCrossEntropyGradConfig, sparseSoftmaxCrossEntropyGradInPlaceConfig} from './SoftmaxCrossEntropyGrad';

export const cpuKernelConfigs: KernelConfig[] = [
  softmaxCrossEntropyConfig, sparseSoftmaxCrossEntropyConfig,
  softmaxCrossEntropyGradConfig, sparseSoftmaxCrossEntropyGradConfig,
  sigmoidCrossEntropyConfig, sigmoidCrossEntropyGradConfig,
  // in place, internal to linearSoftmaxCrossEntropy
  matMulAccumulateConfig, scaleInPlaceConfig, sparseSoftmaxCrossEntropyGradInPlaceConfig,
  linearSparseSoftmaxCrossEntropyConfig,  // linearSoftmaxCrossEntropy without gradients
];

export function registerCpuKernels(): void {
  registerKernelsOnce(cpuKernelConfigs);
}
