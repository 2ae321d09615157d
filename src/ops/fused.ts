/** Whether an op runs a fused kernel on the active backend, or its composite twin. */
import {getBackend, getKernel} from '@tensorflow/tfjs-core';
import {isCompositeForced} from '../flags';

/**
 * True when `kernelName` is registered for the active backend and the
 * composite path is not forced (see flags.ts). Kernels can be registered for
 * backends that are not loaded, so the active backend decides.
 */
export function useFusedKernel(kernelName: string): boolean {
  return !isCompositeForced() && getKernel(kernelName, getBackend()) != null;
}
