/**
 * Host → GPU bytes per training step of the losses that reduce an elementwise
 * [N, C] loss (issue 15, "Fused reductions"), on webgpu in Node (Dawn; any
 * Vulkan driver, SwiftShader included: the count does not depend on speed).
 * tfjs's sum/mean gradients build an [N, C] ones tensor on the host, so each
 * fwd+bwd through them uploads N·C·4 bytes; the fused reductions take their
 * gradient in the kernels and upload only uniforms and scalars. The control
 * (tf.mean of the elementwise op) shows that the counter sees that upload.
 * Fused kernels and the composite path (tfjs's own WGSL kernels).
 */
import {describeWebGPU} from '../../../tools/webgpu/node_webgpu_env';
import '../../../kernels/webgpu/node_webgpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {
  BinaryCrossentropy, BinaryFocalCrossentropy, KLDivergence, losses, setForceComposite, sigmoidCrossEntropyWithLogits,
  sigmoidFocalCrossEntropyWithLogits,
} from '../../../src/index';
import {inErrorScope, setupWebGPU, teardownWebGPU} from '../../../tools/webgpu/harness';
import {countUploads, UploadCounter} from '../../../tools/webgpu/upload_bytes';

const N = 64, C = 1000, LOGITS_BYTES = N * C * 4;

/** UPLOAD_REPORT=1 prints each case's bytes per step (for the before/after numbers). */
function report(composite: boolean, name: string, bytes: number): void {
  if (process.env.UPLOAD_REPORT) {
    process.stdout.write(`UPLOAD ${composite ? 'composite' : 'fused'} | ${name} | ${bytes} bytes (logits ${LOGITS_BYTES})\n`);
  }
}

describeWebGPU('webgpu: host uploads per fwd+bwd step of reduced elementwise losses', () => {
  let backend: WebGPUBackend;
  let counter: UploadCounter;
  let logits: tf.Tensor2D, labels: tf.Tensor2D, rowWeights: tf.Tensor2D, fullWeights: tf.Tensor2D, probs: tf.Tensor2D;
  beforeAll(async () => {
    backend = await setupWebGPU();
    logits = tf.randomNormal([N, C], 0, 2, 'float32', 1) as tf.Tensor2D;
    labels = tf.cast(tf.greater(tf.randomUniform([N, C], 0, 1, 'float32', 2), 0.7), 'float32') as tf.Tensor2D;
    rowWeights = tf.randomUniform([N, 1], 0, 2, 'float32', 3) as tf.Tensor2D;
    fullWeights = tf.randomUniform([N, C], 0, 2, 'float32', 4) as tf.Tensor2D;
    probs = tf.softmax(tf.randomNormal([N, C], 0, 1, 'float32', 5)) as tf.Tensor2D;
    await Promise.all([logits, labels, rowWeights, fullWeights, probs].map(t => t.data()));  // on the GPU before counting
    counter = countUploads(backend);
  });
  afterAll(() => {
    counter?.restore();
    tf.dispose([logits, labels, rowWeights, fullWeights, probs]);
    teardownWebGPU();
  });

  /** Tensor bytes uploaded by the second of two fwd+bwd steps (the first warms pipelines and caches). */
  async function stepBytes(loss: (x: tf.Tensor) => tf.Tensor): Promise<number> {
    const vg = tf.valueAndGrad((x: tf.Tensor) => loss(x) as tf.Scalar);
    let bytes = 0;
    for (let step = 0; step < 2; step++) {
      counter.reset();
      await inErrorScope(backend, async () => {
        const {value, grad} = vg(logits);
        await grad.data();
        await value.data();
        tf.dispose([value, grad]);
      });
      bytes = counter.tensorBytes;
    }
    return bytes;
  }

  const cases: Array<[string, (x: tf.Tensor) => tf.Tensor]> = [
    ['losses.sigmoidCrossEntropy (SUM_BY_NONZERO_WEIGHTS)', x => losses.sigmoidCrossEntropy(labels, x)],
    ['losses.sigmoidCrossEntropy MEAN', x => losses.sigmoidCrossEntropy(labels, x, undefined, 0, tf.Reduction.MEAN)],
    ['losses.sigmoidCrossEntropy SUM, [N, 1] weights', x => losses.sigmoidCrossEntropy(labels, x, rowWeights, 0, tf.Reduction.SUM)],
    ['losses.sigmoidCrossEntropy SUM_BY_NONZERO_WEIGHTS, [N, C] weights', x => losses.sigmoidCrossEntropy(labels, x, fullWeights)],
    ['sigmoidCrossEntropyWithLogits reduction mean', x => sigmoidCrossEntropyWithLogits(labels, x, {reduction: 'mean'})],
    ['sigmoidCrossEntropyWithLogits meanOverClasses, then tf.mean over [N]',
      x => tf.mean(sigmoidCrossEntropyWithLogits(labels, x, {reduction: 'meanOverClasses'}))],
    ['BinaryCrossentropy (fromLogits)', x => new BinaryCrossentropy({fromLogits: true}).call(labels, x)],
    ['BinaryFocalCrossentropy (fromLogits)', x => new BinaryFocalCrossentropy({fromLogits: true}).call(labels, x)],
    ['sigmoidFocalCrossEntropyWithLogits reduction sum', x => sigmoidFocalCrossEntropyWithLogits(labels, x, {reduction: 'sum'})],
    ['KLDivergence of probabilities (class-axis sum)', x => new KLDivergence().call(probs, tf.sigmoid(x))],
  ];

  for (const composite of [false, true]) {
    describe(composite ? 'composite path' : 'fused kernels', () => {
      beforeAll(() => setForceComposite(composite));
      afterAll(() => setForceComposite(false));
      test('control: tf.mean of the elementwise op uploads the ones tensor (N·C·4 bytes)', async () => {
        const bytes = await stepBytes(x => tf.mean(sigmoidCrossEntropyWithLogits(labels, x)));
        report(composite, 'control: tf.mean(sigmoidCrossEntropyWithLogits(labels, x))', bytes);
        expect(bytes).toBeGreaterThanOrEqual(LOGITS_BYTES);
      }, 60000);
      for (const [name, loss] of cases) {
        test(`${name}: ≤ 1/64 of the logits' bytes`, async () => {
          const bytes = await stepBytes(loss);
          report(composite, name, bytes);
          expect(bytes).toBeLessThanOrEqual(LOGITS_BYTES / 64);
        }, 60000);
      }
    });
  }
});
