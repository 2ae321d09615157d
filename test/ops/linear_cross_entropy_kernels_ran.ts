/**
 * linearSoftmaxCrossEntropy really runs its fused kernels where the backend
 * has them (registered in the linear CE suite; imported by
 * linear_cross_entropy.spec.ts). With `fusedForwardAvailable()` forced false
 * (LINEAR_CE_FUSED_FORWARD = false) or the composite path forced, every value
 * check of the spec still passes: only this notices.
 *  - loss without gradients: one FusedLinearSparseSoftmaxCrossEntropy (cpu, webgpu);
 *  - forward and backward: the chunk loop's fused CE kernels (every fused backend), written in
 *    place with FusedMatMulAccumulate, FusedScaleInPlace and the in-place gradient (cpu, webgpu).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as names from '../../kernels/kernel_names';
import {linearSoftmaxCrossEntropy} from '../../src/ops/linear_cross_entropy';
import {FUSED_FORWARD_FLAG} from '../../src/ops/linear_cross_entropy_chunks';
import {randLabels, randn} from '../spec/assert';
import {expectFusedRuns, expectRan, fusedEnv, kernelsRun} from '../spec/kernels_ran';
import {defineSpec, SpecEnv} from '../spec/registry';

/** Backends with the fused linear-CE forward and the in-place accumulation kernels. */
export const LINEAR_FUSED_BACKENDS = ['cpu', 'webgpu'];

defineSpec('linearSoftmaxCrossEntropy', it => {
  it('the fused kernels run: forward without gradients, forward and backward (and not with the fused path off)', async (env: SpecEnv) => {
    const N = 10, H = 8, V = 30;
    const h = tf.tensor2d(randn(N * H, 1), [N, H]), w = tf.tensor2d(randn(V * H, 2, 0.3), [V, H]);
    const b = tf.tensor1d(randn(V, 3)), t = tf.tensor1d(randLabels(N, V, 4), 'int32');
    const linear = LINEAR_FUSED_BACKENDS.includes(env.backend);
    if (linear) {
      const forward = () => linearSoftmaxCrossEntropy(h, w, t, {bias: b});
      await expectFusedRuns(forward, [names.LinearSparseSoftmaxCrossEntropy], 'loss without gradients');
      tf.env().set(FUSED_FORWARD_FLAG, false);
      try {
        const off = await kernelsRun(forward);
        if (off.includes(names.LinearSparseSoftmaxCrossEntropy)) throw new Error(`${FUSED_FORWARD_FLAG} = false: the fused forward still ran`);
        // Off, the spec's check fails, as it must:
        let failed = false;
        try { expectRan(off, [names.LinearSparseSoftmaxCrossEntropy], 'off'); } catch { failed = true; }
        if (!failed) throw new Error('expectRan passed with the fused forward off');
      } finally {
        tf.env().set(FUSED_FORWARD_FLAG, true);
      }
    }
    const wanted = [names.SparseSoftmaxCrossEntropy,
                    ...(linear ? [names.MatMulAccumulate, names.ScaleInPlace, names.SparseSoftmaxCrossEntropyGradInPlace]
                               : [names.SparseSoftmaxCrossEntropyGrad])];
    await expectFusedRuns(() => tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
        linearSoftmaxCrossEntropy(x, y, t, {bias: z, chunkSize: 4}))([h, w, b]), wanted, 'forward and backward, chunks of 4');
    tf.dispose([h, w, b, t]);
    // slow: the suite's first case on webgpu, it compiles the fused and the composite chunk loop's
    // pipelines (SwiftShader: 20–30 s under load); the runners give slow cases 120 s.
  }, {only: fusedEnv, slow: true});
});
