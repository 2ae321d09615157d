/**
 * What the gradients of the softmax-family kernels share (softmax and focal,
 * softmax_cross_entropy_grad.ts and focal_cross_entropy_grad.ts): running a
 * backward kernel on the saved (logits, labels, (m, s)), and the gradient of
 * a one-hot kernel (kernel_names.ts, OneHotSoftmaxCrossEntropy).
 */
import {cast, engine, GradConfig, NamedAttrMap, oneHot, ones, Tensor, zeros} from '@tensorflow/tfjs-core';

/**
 * Runs the backward kernel `kernelName` on `saved` = [logits, labels, lse]
 * with the forward's attributes and `wrt`. The forward has two outputs (loss,
 * lse), so dy is an array; lse is internal, its dy unused.
 */
export function rowBackward(kernelName: string, saved: Tensor[], dy: Tensor | Tensor[], attrs: NamedAttrMap,
                            wrt: 'logits' | 'labels'): Tensor {
  const [logits, labels, lse] = saved;
  const dLoss = Array.isArray(dy) ? dy[0] : dy;
  return engine().runKernel(kernelName, {logits, labels, lse, dy: dLoss}, {...attrs, wrt}) as Tensor;
}

/**
 * The float32 [rows, C] one-hot rows of int32 class ids [rows], for a dense
 * backward that wants labels (tf.oneHot needs C ≥ 2; every row of a C = 1 is
 * [1]).
 */
export function oneHotRows(ids: Tensor, C: number): Tensor {
  return C === 1 ? ones([ids.shape[0], 1]) : cast(oneHot(ids, C), 'float32');
}

/**
 * The gradient of a one-hot kernel `kernelName` (inputs logits, labels,
 * classIds): saved are the logits and the class ids, not the [rows, C]
 * labels. d/dlogits is the sparse backward `sparseGrad` on the ids; d/dlabels
 * the dense backward `denseGrad` (which reads logits and (m, s), not the
 * labels' values) given the one-hot rows rebuilt from the ids, only when the
 * labels are on the differentiation path; class ids are not differentiable.
 */
export function oneHotGradConfig(kernelName: string, sparseGrad: string, denseGrad: string): GradConfig {
  return {
    kernelName,
    inputsToSave: ['logits', 'classIds'],
    outputsToSave: [false, true],
    gradFunc: (dy, saved, attrs) => {
      const [logits, classIds, lse] = saved;
      return {
        logits: () => rowBackward(sparseGrad, [logits, classIds, lse], dy, attrs, 'logits'),
        labels: () => rowBackward(denseGrad, [logits, oneHotRows(classIds, logits.shape[1] as number), lse], dy, attrs,
                                  'labels'),
        classIds: () => zeros(classIds.shape),
      };
    },
  };
}
