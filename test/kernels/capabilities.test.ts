/**
 * Backends declare, ops ask (kernels/capabilities.ts): each backend's register
 * file declares its capabilities, the ops read them through one API, and
 * src/ names no backend and reaches into no backend's private fields.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '../../src/index';
import {capabilities, DEFAULT_CAPABILITIES, fusedKernelSupport, readableOnHost} from '../../kernels/capabilities';
import {SoftmaxCrossEntropy, SparseSoftmaxCrossEntropy} from '../../kernels/kernel_names';
import {setForceComposite} from '../../src/flags';
import {fusedKernelChoice} from '../../src/ops/fused';

test('every backend this package knows declares its capabilities', () => {
  expect(capabilities('cpu')).toMatchObject({hostMemory: true, compositeOnHost: true, sparseKernelThrows: true, ownLogitsGemm: true, flushQueue: null});
  expect(capabilities('wasm')).toMatchObject({hostMemory: true, compositeOnHost: true, softmaxFasterThanExp: true, fusedMatMulBiasBroken: true});
  expect(capabilities('tensorflow')).toMatchObject({hostMemory: true, compositeOnHost: false, sparseKernelThrows: true});
  expect(capabilities('webgpu')).toMatchObject({hostMemory: false, ownLogitsGemm: true, sparseKernelThrows: false});
  expect(capabilities('webgpu').flushQueue).toBeInstanceOf(Function);
  expect(capabilities('webgl')).toMatchObject({hostMemory: false, ownLogitsGemm: false, flushQueue: null});
  expect(capabilities('no-such-backend')).toBe(DEFAULT_CAPABILITIES);
});

test('the active backend answers: tensors on cpu and wasm are readable on the host', async () => {
  for (const b of ['cpu', 'wasm']) {
    await tf.setBackend(b);
    const t = tf.tensor1d([1, 2]);
    expect([b, readableOnHost(t)]).toEqual([b, true]);
    t.dispose();
  }
  await tf.setBackend('cpu');
});

test('fusedKernelChoice says why', async () => {
  await tf.setBackend('cpu');
  expect(fusedKernelChoice(SoftmaxCrossEntropy)).toEqual({fused: true, reason: expect.stringContaining("'cpu'")});
  setForceComposite(true);
  try {
    expect(fusedKernelChoice(SoftmaxCrossEntropy)).toEqual({fused: false, reason: expect.stringContaining('FUSED_CE_FORCE_COMPOSITE')});
  } finally {
    setForceComposite(false);
  }
  expect(fusedKernelSupport('no-such-backend', SparseSoftmaxCrossEntropy, {})).toBe(
      `no ${SparseSoftmaxCrossEntropy} kernel is registered for the 'no-such-backend' backend`);
  // tfjs-node's TensorFlow ops support fewer options: the predicate's refusal is the reason.
  expect(fusedKernelSupport('tensorflow', SoftmaxCrossEntropy, {classWeights: [1], zLoss: 0})).toMatch(/does not support/);
});

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, {withFileTypes: true}).flatMap(e =>
      e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}

/** Code without comments (line and block), strings kept. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

test('src/ names no backend, imports no backend folder and reads no backend private field', () => {
  const root = path.join(__dirname, '../../src');
  const offences: string[] = [];
  for (const file of sources(root)) {
    const text = code(fs.readFileSync(file, 'utf8'));
    const rel = path.relative(root, file);
    for (const m of text.matchAll(/['"`](cpu|wasm|webgl|webgpu|tensorflow)['"`]/g)) offences.push(`${rel}: names ${m[0]}`);
    for (const m of text.matchAll(/kernels\/(cpu|wasm|webgl|webgpu|tensorflow)\//g)) offences.push(`${rel}: imports ${m[0]}`);
    for (const m of text.matchAll(/\b(getBackend\(\)\s*[=!]==|tensorMap|texData|submitQueue|commandEncoder)/g)) {
      offences.push(`${rel}: ${m[0]}`);
    }
  }
  expect(offences).toEqual([]);
});
