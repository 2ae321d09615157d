/**
 * Flags of this package, registered on tfjs's own `tf.env()`.
 *
 * `FUSED_CE_FORCE_COMPOSITE`: when true, every op computes its loss from
 * stable tfjs ops (the fallback used on backends without fused kernels) even
 * where a fused kernel is registered. Used by the spec and the benchmarks to
 * compare both paths on one backend.
 *
 * ```js
 * tf.env().set('FUSED_CE_FORCE_COMPOSITE', true);
 * ```
 */
import {env} from '@tensorflow/tfjs-core';
import {registerFlagOnce} from '../kernels/register_util';

export const FORCE_COMPOSITE_FLAG = 'FUSED_CE_FORCE_COMPOSITE';

const ENV = env();
registerFlagOnce(FORCE_COMPOSITE_FLAG, () => false);

/** Forces (true) or releases (false) the composite path for every op. */
export function setForceComposite(force: boolean): void {
  ENV.set(FORCE_COMPOSITE_FLAG, force);
}

/** Whether the composite path is forced. */
export function isCompositeForced(): boolean {
  return ENV.getBool(FORCE_COMPOSITE_FLAG);
}
