/**
 * The tfjs-node (`tensorflow` backend) kernels without tfjs-node: which
 * options each op sends to TensorFlow's fused ops and which take the composite
 * path (kernels/tensorflow/register_tensorflow.ts), through
 *  1. the attribute-support predicates themselves (supportsAttrs), and
 *  2. the ops' real decision: a stand-in backend named 'tensorflow' (tfjs's
 *     cpu backend with cpu's kernels copied under that name, ours excluded)
 *     on which each op runs; when it calls one of our kernels the call is
 *     recorded and stopped (the real one needs TensorFlow's native ops), and
 *     otherwise the composite path runs to the end on the copied cpu kernels.
 * The kernels' numbers need TensorFlow: test/kernels/tensorflow.test.ts runs
 * the shared spec where tfjs-node loads. There, the shared "labels out of
 * range give NaN" does not hold: TensorFlow's CPU op raises instead.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {supportsAttrs} from '../../kernels/capabilities';
import * as names from '../../kernels/kernel_names';
import {sigmoidCrossEntropyWithLogits, softmaxCrossEntropyWithLogits, softmaxFocalCrossEntropyWithLogits,
        sparseSoftmaxCrossEntropyWithLogits} from '../../src/index';

const OURS = new Set<string>((Object.values(names) as unknown[]).filter((v): v is string => typeof v === 'string' && v.startsWith('Fused')));
const TF_KERNELS = [names.SoftmaxCrossEntropy, names.SoftmaxCrossEntropyGrad, names.SparseSoftmaxCrossEntropy, names.SparseSoftmaxCrossEntropyGrad];

const base = {temperature: 1, labelSmoothing: 0, zLoss: 0, classWeights: null, ignoreIndex: null};

describe('tfjs-node kernels: attribute support (no tfjs-node needed)', () => {
  test('registered for tensorflow: the four softmax kernels, nothing else of ours', () => {
    const registered = tf.getKernelsForBackend('tensorflow').map(k => k.kernelName).filter(n => OURS.has(n)).sort();
    expect(registered).toEqual([...TF_KERNELS].sort());
  });

  test.each([
    ['defaults', base, true, true],
    ['temperature 2', {...base, temperature: 2}, true, true],
    ['labelSmoothing 0.1 (dense: the labels are smoothed first; sparse: no)', {...base, labelSmoothing: 0.1}, true, false],
    ['classWeights', {...base, classWeights: [1, 2, 3]}, false, false],
    ['zLoss', {...base, zLoss: 1e-3}, false, false],
    ['ignoreIndex (sparse only)', {...base, ignoreIndex: -100}, true, false],
    ['reduction \'none\', scale 1 (explicit)', {...base, reduction: 'none', scale: 1}, true, true],
    ['reduction \'all\' (the ops\' sum and mean)', {...base, reduction: 'all', scale: 0.5}, false, false],
    ['reduction \'none\', scale 2', {...base, reduction: 'none', scale: 2}, false, false],
  ])('%s', (_, attrs, dense, sparse) => {
    expect(supportsAttrs('tensorflow', names.SoftmaxCrossEntropy, attrs)).toBe(dense);
    expect(supportsAttrs('tensorflow', names.SoftmaxCrossEntropyGrad, {...attrs, wrt: 'logits'})).toBe(dense);
    expect(supportsAttrs('tensorflow', names.SparseSoftmaxCrossEntropy, attrs)).toBe(sparse);
    expect(supportsAttrs('tensorflow', names.SparseSoftmaxCrossEntropyGrad, attrs)).toBe(sparse);
    // Other backends have no predicate: their kernels take every attribute.
    for (const b of ['cpu', 'webgl', 'webgpu']) expect(supportsAttrs(b, names.SparseSoftmaxCrossEntropy, attrs)).toBe(true);
  });
});

describe('tfjs-node kernels: the ops\' decision on a stand-in tensorflow backend', () => {
  class Stop extends Error {}
  let copied: string[] = [];

  beforeAll(async () => {
    for (const k of tf.getKernelsForBackend('cpu')) {
      if (OURS.has(k.kernelName) || tf.getKernel(k.kernelName, 'tensorflow') != null) continue;
      tf.registerKernel({...k, backendName: 'tensorflow'});
      copied.push(k.kernelName);
    }
    tf.registerBackend('tensorflow', () => new MathBackendCPU(), -1);
    expect(await tf.setBackend('tensorflow')).toBe(true);
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
    tf.removeBackend('tensorflow');
    for (const k of copied) tf.unregisterKernel(k, 'tensorflow');
    copied = [];
  });

  /** 'fused' and the kernel when the op calls one of ours (stopped there), else 'composite' (run to the end). */
  function pathOf(run: () => tf.Tensor): string {
    const engine = tf.engine();
    const original = engine.runKernel;
    let hit: string | null = null;
    engine.runKernel = function(this: typeof engine, name: string, ...rest: unknown[]) {
      if (OURS.has(name)) {
        hit = name;
        throw new Stop();
      }
      return (original as (...a: unknown[]) => unknown).call(this, name, ...rest);
    } as typeof engine.runKernel;
    try {
      const out = run();
      out.dataSync();
      out.dispose();
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
    } finally {
      engine.runKernel = original;
    }
    return hit == null ? 'composite' : `fused ${hit}`;
  }

  const x = tf.tensor2d([[1, 2, 0.5], [0, -1, 3]]), y = tf.tensor2d([[0, 1, 0], [0.2, 0.3, 0.5]]), t = tf.tensor1d([1, 2], 'int32');

  test.each([
    ['defaults', {}, true, true],
    ['temperature', {temperature: 2}, true, true],
    ['labelSmoothing', {labelSmoothing: 0.1}, true, false],
    ['classWeights', {classWeights: [1, 2, 3]}, false, false],
    ['zLoss', {zLoss: 1e-3}, false, false],
    ['ignoreIndex', {ignoreIndex: -100}, true, false],
    ['reduction \'mean\'', {reduction: 'mean' as const}, false, false],
  ])('%s', (_, opts, dense, sparse) => {
    const {ignoreIndex: _i, ...denseOpts} = opts as {ignoreIndex?: number};
    expect(pathOf(() => softmaxCrossEntropyWithLogits(y, x, denseOpts))).toBe(dense ? `fused ${names.SoftmaxCrossEntropy}` : 'composite');
    expect(pathOf(() => sparseSoftmaxCrossEntropyWithLogits(t, x, opts))).toBe(sparse ? `fused ${names.SparseSoftmaxCrossEntropy}` : 'composite');
  });

  test('sigmoid and focal have no TensorFlow kernel: the composite path, which runs', () => {
    expect(pathOf(() => sigmoidCrossEntropyWithLogits(y, x))).toBe('composite');
    expect(pathOf(() => softmaxFocalCrossEntropyWithLogits(y, x))).toBe('composite');
  });
});
