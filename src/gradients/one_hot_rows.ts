/** What the one-hot kernels' gradients share (softmax_cross_entropy_grad.ts, focal_cross_entropy_grad.ts). */
import {cast, oneHot, ones, Tensor} from '@tensorflow/tfjs-core';

/**
 * The float32 [rows, C] one-hot rows of int32 class ids [rows], for a dense
 * backward that wants labels (tf.oneHot needs C ≥ 2; every row of a C = 1 is
 * [1]).
 */
export function oneHotRows(ids: Tensor, C: number): Tensor {
  return C === 1 ? ones([ids.shape[0], 1]) : cast(oneHot(ids, C), 'float32');
}
