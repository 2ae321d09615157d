/**
 * LinearCrossEntropyHead (src/layers): the loss output against the float64
 * reference, one SGD step of model.trainOnBatch against the reference weight
 * gradient, inference outputs (logits, chunked top-k), per-example losses,
 * fit + predict with shared weights, and a JSON round trip. On cpu (the
 * fused and in-place kernels) and on wasm (no linear-CE kernel of ours there:
 * the chunk loop on tfjs ops and our SIMD sparse softmax kernels; tolerance
 * 2e-4 as the composite path in test/wasm.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '../../src/index';
import {headOutputLoss, LinearCrossEntropyHead} from '../../src/layers/linear_cross_entropy_head';
import {expectClose, values} from '../spec/assert';
import {problem, reference} from '../spec/linear_cross_entropy.spec';

for (const [backendName, RTOL] of [['cpu', 1e-5], ['wasm', 2e-4]] as const) {
  describe(`LinearCrossEntropyHead on ${backendName}`, () => {
    beforeAll(async () => {
      expect(await tf.setBackend(backendName)).toBe(true);
      await tf.ready();
    });

    /** A model [hidden, labels] → head loss, with the head's kernel/bias set from a problem ([H, V] layout). */
    function trainModel(H: number, head: LinearCrossEntropyHead) {
      const hidden = tf.input({shape: [H]});
      const labels = tf.input({shape: [1], dtype: 'int32'});
      const out = head.apply([hidden, labels]) as tf.SymbolicTensor;
      return tf.model({inputs: [hidden, labels], outputs: out});
    }

    test('loss output = mean over non-ignored rows (float64 reference), broadcast per row', async () => {
      const p = problem(14, 6, 9, 3, {layout: 'HV', ignore: -1});
      const head = new LinearCrossEntropyHead({units: 9, ignoreIndex: -1, zLoss: 1e-3, labelSmoothing: 0.1, chunkSize: 4});
      const model = trainModel(6, head);
      head.setWeights([tf.tensor2d(p.w, [6, 9]), tf.tensor1d(p.b!)]);
      const out = model.predict([tf.tensor2d(p.h, [14, 6]), tf.tensor2d(p.t, [14, 1], 'int32')]) as tf.Tensor;
      expect(out.shape).toEqual([14, 1]);
      const ref = reference(p, {ignoreIndex: -1, zLoss: 1e-3, labelSmoothing: 0.1}, 'mean');
      expectClose(await values(out), new Array(14).fill(ref.value[0]), RTOL, 'head loss');
    });

    test('one SGD step of trainOnBatch moves kernel and bias by −lr · the float64 gradient', async () => {
      const p = problem(12, 5, 7, 13, {layout: 'HV', ignore: 2});
      const head = new LinearCrossEntropyHead({units: 7, ignoreIndex: 2, zLoss: 1e-2, chunkSize: 5});
      const model = trainModel(5, head);
      const lr = 0.5;
      model.compile({optimizer: tf.train.sgd(lr), loss: headOutputLoss});
      head.setWeights([tf.tensor2d(p.w, [5, 7]), tf.tensor1d(p.b!)]);
      const loss = await model.trainOnBatch([tf.tensor2d(p.h, [12, 5]), tf.tensor2d(p.t, [12, 1], 'int32')], tf.zeros([12, 1]));
      const ref = reference(p, {ignoreIndex: 2, zLoss: 1e-2}, 'mean');
      expectClose([loss as number], ref.value, RTOL, 'trainOnBatch loss');
      const [, dW, db] = ref.grads([1]);
      const [kernel, bias] = head.getWeights();
      expectClose(await values(kernel), Array.from(p.w, (w, i) => w - lr * dW[i]), RTOL, 'kernel after one step');
      expectClose(await values(bias), Array.from(p.b!, (b, i) => b - lr * db[i]), RTOL, 'bias after one step');
    });

    test('perExampleLoss: the real per-row losses (ignored rows 0), labels of rank 2', async () => {
      const p = problem(12, 4, 6, 23, {layout: 'HV', ignore: 0, bias: false});
      const head = new LinearCrossEntropyHead({units: 6, useBias: false, ignoreIndex: 0, perExampleLoss: true, chunkSize: 5});
      const hidden = tf.input({shape: [3, 4]});
      const labels = tf.input({shape: [3], dtype: 'int32'});
      const model = tf.model({inputs: [hidden, labels], outputs: head.apply([hidden, labels]) as tf.SymbolicTensor});
      head.setWeights([tf.tensor2d(p.w, [4, 6])]);
      const out = model.predict([tf.tensor3d(p.h, [4, 3, 4]), tf.tensor2d(p.t, [4, 3], 'int32')]) as tf.Tensor;
      expect(out.shape).toEqual([4, 3]);
      expectClose(await values(out), reference(p, {ignoreIndex: 0}, 'none').value, RTOL, 'per-row losses');
    });

    test('inference: logits = h·W + b; chunked top-k = top-k of the full logits', async () => {
      const p = problem(11, 5, 20, 33, {layout: 'HV'});
      const logitsHead = new LinearCrossEntropyHead({units: 20});
      const topHead = new LinearCrossEntropyHead({units: 20, inference: 'topk', topK: 3, chunkSize: 4});
      const x = tf.input({shape: [5]});
      const logitsModel = tf.model({inputs: x, outputs: logitsHead.apply(x) as tf.SymbolicTensor});
      const topModel = tf.model({inputs: x, outputs: topHead.apply(x) as tf.SymbolicTensor[]});
      for (const head of [logitsHead, topHead]) head.setWeights([tf.tensor2d(p.w, [5, 20]), tf.tensor1d(p.b!)]);
      const h = tf.tensor2d(p.h, [11, 5]);
      const logits = logitsModel.predict(h) as tf.Tensor;
      expect(logits.shape).toEqual([11, 20]);
      const ref = new Float64Array(11 * 20);
      for (let i = 0; i < 11; i++) {
        for (let v = 0; v < 20; v++) {
          let s = p.b![v];
          for (let k = 0; k < 5; k++) s += p.h[i * 5 + k] * p.w[k * 20 + v];
          ref[i * 20 + v] = s;
        }
      }
      expectClose(await values(logits), ref, RTOL, 'logits');
      const [topV, topI] = topModel.predict(h) as tf.Tensor[];
      const full = tf.topk(logits, 3);
      expect(Array.from(await topI.data())).toEqual(Array.from(await full.indices.data()));
      expectClose(await values(topV), await values(full.values), RTOL, 'top-k values');
    });

    test('fit lowers the loss; a predict model shares the trained weights; JSON round trip', async () => {
      // A learnable task: the label is the argmax of a fixed random projection of the input.
      const N = 256, H = 8, V = 12;
      const h = tf.randomNormal([N, H], 0, 1, 'float32', 5);
      const labels = tf.argMax(tf.matMul(h, tf.randomNormal([H, V], 0, 1, 'float32', 6)), 1).reshape([N, 1]);
      const head = new LinearCrossEntropyHead({units: V, chunkSize: 64, seed: 1});
      const model = trainModel(H, head);
      model.compile({optimizer: tf.train.adam(0.05), loss: headOutputLoss});
      const hist = await model.fit([h, labels], tf.zeros([N, 1]), {epochs: 15, batchSize: 64, verbose: 0});
      const losses = hist.history.loss as number[];
      expect(losses[losses.length - 1]).toBeLessThan(0.6 * losses[0]);
      const x = model.inputs[0];
      const predict = tf.model({inputs: x, outputs: head.apply(x) as tf.SymbolicTensor});
      const acc = tf.mean(tf.cast(tf.equal(tf.argMax(predict.predict(h) as tf.Tensor, 1), labels.reshape([N])), 'float32'));
      expect((await acc.data())[0]).toBeGreaterThan(0.7);

      const json = model.toJSON(null, false) as unknown as object;
      const restored = await tf.models.modelFromJSON(json as never);
      const layer = restored.layers.find(l => l instanceof LinearCrossEntropyHead) as LinearCrossEntropyHead;
      expect(layer.getConfig()).toEqual(head.getConfig());
    });

    test('no leaked tensors: trainOnBatch, loss predict, logits predict', async () => {
      const H = 8, V = 10;
      const head = new LinearCrossEntropyHead({units: V, chunkSize: 4});
      const model = trainModel(H, head);
      model.compile({optimizer: tf.train.adam(1e-3), loss: headOutputLoss});
      const x = tf.randomNormal([16, H]), y = tf.randomUniform([16, 1], 0, V, 'int32'), z = tf.zeros([16, 1]);
      const logitsModel = tf.model({inputs: model.inputs[0], outputs: head.apply(model.inputs[0]) as tf.SymbolicTensor});
      await model.trainOnBatch([x, y], z);  // creates the optimizer's slots
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        await model.trainOnBatch([x, y], z);
        (model.predict([x, y]) as tf.Tensor).dispose();
        (logitsModel.predict(x) as tf.Tensor).dispose();
      }
      expect(tf.memory().numTensors - before).toBe(0);
      tf.dispose([x, y, z]);
    });
  });
}
