/**
 * The browser demo page: trains a small network on a three-arm spiral with
 * the package's fused sparse softmax cross-entropy on WebGPU (WebGL when the
 * browser has no WebGPU; `?backend=webgl|webgpu|cpu` forces one) and plots
 * the loss live on a canvas. Bundled and served by serve.ts.
 *
 * Query parameters: backend, epochs (default 80). When done, `window.demoState`
 * holds the backend, whether the fused kernel ran, and the loss history (the
 * headless test in test/examples/browser_demo.test.ts reads it).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import {kernelNames, sparseSoftmaxCrossEntropyWithLogits, useFusedKernel} from '../../src/index';

interface DemoState {
  done: boolean;
  error: string | null;
  backend: string;
  fused: boolean;
  losses: number[];
  accuracy: number;
  msPerEpoch: number;
}

const state: DemoState = {done: false, error: null, backend: '', fused: false, losses: [], accuracy: 0, msPerEpoch: 0};
(window as unknown as {demoState: DemoState}).demoState = state;

const CLASSES = 3, PER_CLASS = 200;

/** A three-arm spiral with noise, from a seeded generator (the same points every load). */
function spiral(): {x: Float32Array, y: Int32Array} {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const x = new Float32Array(CLASSES * PER_CLASS * 2), y = new Int32Array(CLASSES * PER_CLASS);
  for (let c = 0; c < CLASSES; c++) {
    for (let i = 0; i < PER_CLASS; i++) {
      const k = c * PER_CLASS + i, r = i / PER_CLASS;
      const angle = c * 2 * Math.PI / CLASSES + 4 * r + 0.3 * (rand() - 0.5);
      x[2 * k] = r * Math.cos(angle);
      x[2 * k + 1] = r * Math.sin(angle);
      y[k] = c;
    }
  }
  return {x, y};
}

function draw(canvas: HTMLCanvasElement, losses: number[], epochs: number): void {
  const g = canvas.getContext('2d')!;
  const W = canvas.width, H = canvas.height, left = 60, right = 20, top = 20, bottom = 40;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, W, H);
  const maxLoss = Math.max(...losses, 1e-6);
  const px = (e: number) => left + (W - left - right) * e / Math.max(epochs - 1, 1);
  const py = (l: number) => top + (H - top - bottom) * (1 - l / maxLoss);
  g.strokeStyle = '#999';
  g.lineWidth = 1;
  g.beginPath();
  g.moveTo(left, top);
  g.lineTo(left, H - bottom);
  g.lineTo(W - right, H - bottom);
  g.stroke();
  g.fillStyle = '#333';
  g.font = '12px sans-serif';
  g.fillText(maxLoss.toFixed(2), 8, top + 4);
  g.fillText('0', 40, H - bottom + 4);
  g.fillText('epoch', W / 2, H - 10);
  g.fillText(String(epochs), W - right - 16, H - bottom + 16);
  g.strokeStyle = '#1f77b4';
  g.lineWidth = 2.5;
  g.beginPath();
  losses.forEach((l, e) => (e === 0 ? g.moveTo(px(e), py(l)) : g.lineTo(px(e), py(l))));
  g.stroke();
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const epochs = Number(params.get('epochs') ?? 80);
  const wanted = params.get('backend') ?? ((navigator as unknown as {gpu?: unknown}).gpu ? 'webgpu' : 'webgl');
  if (!(await tf.setBackend(wanted))) {
    await tf.setBackend('webgl');
  }
  await tf.ready();
  state.backend = tf.getBackend();
  state.fused = useFusedKernel(kernelNames.SparseSoftmaxCrossEntropy);
  const status = document.getElementById('status')!;
  const canvas = document.getElementById('chart') as HTMLCanvasElement;

  const data = spiral();
  const xs = tf.tensor2d(data.x, [CLASSES * PER_CLASS, 2]);
  const ys = tf.tensor1d(data.y, 'int32');
  const model = tf.sequential({layers: [
    tf.layers.dense({inputShape: [2], units: 64, activation: 'relu', kernelInitializer: tf.initializers.heNormal({seed: 1})}),
    tf.layers.dense({units: 64, activation: 'relu', kernelInitializer: tf.initializers.heNormal({seed: 2})}),
    tf.layers.dense({units: CLASSES, kernelInitializer: tf.initializers.glorotUniform({seed: 3})}),
  ]});
  const optimizer = tf.train.adam(0.02);
  const t0 = performance.now();
  for (let epoch = 0; epoch < epochs; epoch++) {
    // Full batch: one fused forward + one fused backward kernel per step for the loss.
    const loss = optimizer.minimize(() => tf.mean(sparseSoftmaxCrossEntropyWithLogits(ys, model.apply(xs) as tf.Tensor)), true)!;
    state.losses.push((await loss.data())[0]);
    loss.dispose();
    draw(canvas, state.losses, epochs);
    status.textContent = `backend ${state.backend} · fused kernel: ${state.fused ? 'yes' : 'no (composite path)'} · ` +
        `epoch ${epoch + 1}/${epochs} · loss ${state.losses[epoch].toFixed(4)}`;
  }
  state.msPerEpoch = (performance.now() - t0) / epochs;
  const logits = model.predict(xs) as tf.Tensor;
  const pred = await tf.argMax(logits, 1).data();
  state.accuracy = Array.from(pred).filter((p, i) => p === data.y[i]).length / data.y.length;
  status.textContent += ` · training accuracy ${(100 * state.accuracy).toFixed(1)}% · ${state.msPerEpoch.toFixed(1)} ms/epoch`;
  tf.dispose([xs, ys, logits]);
  state.done = true;
}

main().catch(e => {
  state.error = String((e as Error)?.stack ?? e);
  state.done = true;
  document.getElementById('status')!.textContent = `error: ${state.error}`;
});
