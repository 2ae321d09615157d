/**
 * tf.env() flags of the WebGL kernels.
 *
 * `FUSED_CE_WEBGL_SINGLE_PASS_MAX` (default 128): the longest row one
 * fragment reduces alone; longer rows are split into windows of ⌈√C⌉ classes
 * and merged in a second pass (kernel_util.ts, planReduction). A flag so the
 * sweep in scripts/browser-bench-webgl.ts can measure both sides of it; the
 * default and its measurement are in kernels/webgl/README.md.
 *
 * `FUSED_CE_WEBGL_PACKED_INPUTS` (default true): run the packed-input
 * variants when the logits arrive packed. false makes tfjs unpack them first
 * (one extra pass over [rows, C]); the flag exists to measure that cost.
 */
import {env} from '@tensorflow/tfjs-core';
import {registerFlagOnce} from '../register_util';

export const SINGLE_PASS_MAX_FLAG = 'FUSED_CE_WEBGL_SINGLE_PASS_MAX';

const ENV = env();
registerFlagOnce(SINGLE_PASS_MAX_FLAG, () => 128);

export const PACKED_INPUTS_FLAG = 'FUSED_CE_WEBGL_PACKED_INPUTS';
registerFlagOnce(PACKED_INPUTS_FLAG, () => true);

/** Whether packed logits select the packed-input program variants. */
export function packedInputsEnabled(): boolean {
  return ENV.getBool(PACKED_INPUTS_FLAG);
}

/** Current single-pass limit (classes per fragment). */
export function singlePassMax(): number {
  return ENV.getNumber(SINGLE_PASS_MAX_FLAG);
}
