/** Whether an op runs a fused kernel on the active backend, or its composite twin, and why. */
import {getBackend} from '@tensorflow/tfjs-core';
import {fusedKernelSupport} from '../../kernels/capabilities';
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
