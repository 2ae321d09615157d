/** Whether an op runs a fused kernel on the active backend, or its composite twin, and why. */
import {engine, getBackend, NamedAttrMap, Tensor, Tensor1D, Tensor2D} from '@tensorflow/tfjs-core';
import {fusedKernelSupport} from '../../kernels/capabilities';
import {DenseLabelClassIds, DenseLabelClassIdsAttrs} from '../../kernels/kernel_names';
import {FORCE_COMPOSITE_FLAG, isCompositeForced} from '../flags';

/** Which path an op takes for one kernel, with the reason (for errors, logs and benchmarks). */
export interface FusedKernelChoice {
  fused: boolean;
  reason: string;
}

/**
 * The fused kernel `kernelName` runs when it is registered for the active
 * backend, the backend's kernel supports `attrs` (kernels/capabilities.ts)
 * and the composite path is not forced (flags.ts). Kernels can be registered
 * for backends that are not loaded, so the active backend decides.
 */
export function fusedKernelChoice(kernelName: string, attrs: object = {}): FusedKernelChoice {
  const backend = getBackend();
  if (isCompositeForced()) {
    return {fused: false, reason: `${FORCE_COMPOSITE_FLAG} is set: composite path for ${kernelName}`};
  }
  const why = fusedKernelSupport(backend, kernelName, attrs);
  return why == null ? {fused: true, reason: `the '${backend}' backend's fused ${kernelName} kernel`} :
                       {fused: false, reason: `${why}: composite path`};
}

/** `fusedKernelChoice(kernelName, attrs).fused`. */
export function useFusedKernel(kernelName: string, attrs: object = {}): boolean {
  return fusedKernelChoice(kernelName, attrs).fused;
}

/**
 * The class ids of dense labels `y` [rows, C] whose every row is one-hot, on a
 * backend that has the one-hot scan (kernel_names.ts, DenseLabelClassIds; it
 * stops at the first row that is not); null where it has not, for an empty
 * batch, or when some row is not one-hot. A dense op then runs its one-hot
 * kernel (OneHotSoftmaxCrossEntropy, OneHotFocalCrossEntropy), whose gradient
 * saves `[rows]` ids instead of the `[rows, C]` labels.
 */
export function oneHotClassIds(y: Tensor2D): Tensor1D | null {
  if (y.shape[0] === 0 || !useFusedKernel(DenseLabelClassIds)) {
    return null;
  }
  const attrs: DenseLabelClassIdsAttrs = {classes: y.shape[1]};
  const ids = engine().runKernel(DenseLabelClassIds, {labels: y}, attrs as unknown as NamedAttrMap) as Tensor;
  if (ids.size !== y.shape[0]) {
    ids.dispose();
    return null;
  }
  return ids as Tensor1D;
}
