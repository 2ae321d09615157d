/**
 * tf.env() flag of the WebAssembly SIMD kernels.
 *
 * `FUSED_CE_CPU_SIMD` (default: whether WebAssembly SIMD is available here):
 * the `cpu` backend's softmax cross-entropy kernels run the SIMD module
 * (kernels/simd) over copies of their inputs when true, and the scalar
 * JavaScript loops (kernels/cpu) when false. Set it to compare both paths or
 * to force either; true where WebAssembly SIMD is missing makes those kernels
 * throw, naming the flag.
 *
 * ```js
 * tf.env().set('FUSED_CE_CPU_SIMD', false);  // the JavaScript kernels
 * ```
 */
import {env} from '@tensorflow/tfjs-core';
import {registerFlagOnce} from '../register_util';
import {simdAvailable} from './simd_module';

export const CPU_SIMD_FLAG = 'FUSED_CE_CPU_SIMD';

const ENV = env();
registerFlagOnce(CPU_SIMD_FLAG, () => simdAvailable());

/** Whether the cpu kernels take the SIMD path (throws if forced on where SIMD is missing). */
export function cpuSimdEnabled(): boolean {
  if (!ENV.getBool(CPU_SIMD_FLAG)) {
    return false;
  }
  if (!simdAvailable()) {
    throw new Error(`${CPU_SIMD_FLAG} is true but WebAssembly SIMD is not available here: set it to false`);
  }
  return true;
}
