/** Whether an op runs a fused kernel on the active backend, or its composite twin. */
import {getBackend, getKernel} from '@tensorflow/tfjs-core';
import {supportsAttrs} from '../../kernels/capabilities';
import {isCompositeForced} from '../flags';

/**
 * True when `kernelName` is registered for the active backend and the
 * composite path is not forced (see flags.ts), and the backend's kernel supports
 * `attrs` (kernels/capabilities.ts). Kernels can be registered for
 * backends that are not loaded, so the active backend decides.
 */
export function useFusedKernel(kernelName: string, attrs: object = {}): boolean {
  if (isCompositeForced()) {
    return false;
  }
  const backend = getBackend();
  return getKernel(kernelName, backend) != null && supportsAttrs(backend, kernelName, attrs);
}
