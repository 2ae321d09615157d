/**
 * The browser demo page: two copies of one small network (the same initial
 * weights) learn a three-arm spiral side by side, epoch by epoch in turn, one
 * with this package's fused sparse softmax cross-entropy on class ids, one
 * with tfjs's built-in `tf.losses.softmaxCrossEntropy` on one-hot labels. The
 * page plots both loss curves live, then shows per loss the first and final
 * loss, the median milliseconds per epoch, training and held-out accuracy,
 * and a visible "Done" (`#status[data-state="done"]`). WebGPU by default
 * (WebGL when the browser has no WebGPU; `?backend=webgl|webgpu|cpu` forces
 * one). Bundled and served by serve.ts.
 *
 * Query parameters: backend, epochs (default 60). `window.demoState` holds
 * the same numbers as the page (test/examples/browser_demo.test.ts reads both).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import {fusedKernelChoice, kernelNames, sparseSoftmaxCrossEntropyWithLogits} from '../../src/index';

type Which = 'fused' | 'builtin';
const WHICH: Which[] = ['fused', 'builtin'];
const LABEL: Record<Which, string> = {fused: 'fused (this package)', builtin: 'tf.losses.softmaxCrossEntropy'};
const COLOR: Record<Which, string> = {fused: '#1f77b4', builtin: '#ff7f0e'};

export interface DemoState {
  done: boolean;
  error: string | null;
  backend: string;
  fused: boolean;
  /** Why (fusedKernelChoice's reason). */
  fusedReason: string;
  epochs: number;
  losses: Record<Which, number[]>;
  ms: Record<Which, number[]>;
  msPerEpoch: Record<Which, number>;
  trainAccuracy: Record<Which, number>;
  testAccuracy: Record<Which, number>;
  /** What the chart's axes show (also the canvas's aria-label). */
  chart: {xLabel: string, yLabel: string, xTicks: number[], yTicks: number[]};
}

const state: DemoState = {
  done: false, error: null, backend: '', fused: false, fusedReason: '', epochs: 0,
  losses: {fused: [], builtin: []}, ms: {fused: [], builtin: []},
  msPerEpoch: {fused: 0, builtin: 0}, trainAccuracy: {fused: 0, builtin: 0}, testAccuracy: {fused: 0, builtin: 0},
  chart: {xLabel: 'epoch', yLabel: 'training loss (mean cross-entropy)', xTicks: [], yTicks: []},
};
(window as unknown as {demoState: DemoState}).demoState = state;

const CLASSES = 3;

/** A three-arm spiral with noise, from a seeded generator (the same points every load). */
function spiral(perClass: number, seed: number): {x: Float32Array, y: Int32Array, n: number} {
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const n = CLASSES * perClass;
  const x = new Float32Array(n * 2), y = new Int32Array(n);
  for (let c = 0; c < CLASSES; c++) {
    for (let i = 0; i < perClass; i++) {
      const k = c * perClass + i, r = (i + rand()) / perClass;
      const angle = c * 2 * Math.PI / CLASSES + 4 * r + 0.3 * (rand() - 0.5);
      x[2 * k] = r * Math.cos(angle);
      x[2 * k + 1] = r * Math.sin(angle);
      y[k] = c;
    }
  }
  return {x, y, n};
}

/** The network, seeded: both copies start from the same weights. */
function makeModel(): tf.Sequential {
  return tf.sequential({layers: [
    tf.layers.dense({inputShape: [2], units: 64, activation: 'relu', kernelInitializer: tf.initializers.heNormal({seed: 1})}),
    tf.layers.dense({units: 64, activation: 'relu', kernelInitializer: tf.initializers.heNormal({seed: 2})}),
    tf.layers.dense({units: CLASSES, kernelInitializer: tf.initializers.glorotUniform({seed: 3})}),
  ]});
}

/** A step of 1, 2, 2.5 or 5 × 10^k near `span / count`. */
function niceStep(span: number, count: number): number {
  const raw = span / count, p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map(m => m * p).find(s => s >= raw)!;
}

/** Both loss curves on labelled axes (epoch; training loss), with ticks, grid and legend. */
function draw(canvas: HTMLCanvasElement, epochs: number): void {
  const g = canvas.getContext('2d')!;
  const W = canvas.width, H = canvas.height, left = 66, right = 18, top = 16, bottom = 46;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, W, H);
  const all = [...state.losses.fused, ...state.losses.builtin];
  const yStep = niceStep(Math.max(...all, 0.1), 5);
  const yMax = yStep * Math.ceil(Math.max(...all, 0.1) / yStep);
  const xStep = Math.max(1, Math.round(niceStep(epochs, 8)));
  const px = (e: number) => left + (W - left - right) * e / epochs;
  const py = (l: number) => top + (H - top - bottom) * (1 - l / yMax);
  const decimals = Math.max(0, -Math.floor(Math.log10(yStep) + 1e-9) + (String(yStep).includes('.25') ? 1 : 0));
  const {chart} = state;
  chart.yTicks = Array.from({length: Math.round(yMax / yStep) + 1}, (_, i) => Number((i * yStep).toFixed(decimals)));
  chart.xTicks = Array.from({length: Math.floor(epochs / xStep) + 1}, (_, i) => i * xStep);
  canvas.setAttribute('aria-label', `Loss curves of both losses: x axis ${chart.xLabel} ${chart.xTicks.join(', ')}; ` +
                      `y axis ${chart.yLabel} ${chart.yTicks.map(v => v.toFixed(decimals)).join(', ')}`);
  g.font = '12px sans-serif';
  g.lineWidth = 1;
  g.textAlign = 'right';
  g.textBaseline = 'middle';
  for (const v of chart.yTicks) {
    g.strokeStyle = v === 0 ? '#888' : '#eee';
    g.beginPath(); g.moveTo(left, py(v)); g.lineTo(W - right, py(v)); g.stroke();
    g.fillStyle = '#333';
    g.fillText(v.toFixed(decimals), left - 6, py(v));
  }
  g.textAlign = 'center';
  g.textBaseline = 'top';
  for (const e of chart.xTicks) {
    g.strokeStyle = e === 0 ? '#888' : '#eee';
    g.beginPath(); g.moveTo(px(e), top); g.lineTo(px(e), H - bottom); g.stroke();
    g.fillStyle = '#333';
    g.fillText(String(e), px(e), H - bottom + 5);
  }
  g.font = '13px sans-serif';
  g.fillText(chart.xLabel, left + (W - left - right) / 2, H - 20);
  g.save();
  g.translate(16, top + (H - top - bottom) / 2);
  g.rotate(-Math.PI / 2);
  g.textBaseline = 'middle';
  g.fillText(chart.yLabel, 0, 0);
  g.restore();
  // The built-in curve wide underneath, the fused one on top: where they
  // coincide both stay visible.
  for (const which of ['builtin', 'fused'] as const) {
    const losses = state.losses[which];
    g.strokeStyle = COLOR[which];
    g.lineWidth = which === 'builtin' ? 6 : 2;
    g.beginPath();
    losses.forEach((l, i) => (i === 0 ? g.moveTo(px(i + 1), py(l)) : g.lineTo(px(i + 1), py(l))));
    g.stroke();
  }
  // Legend, top right.
  g.textAlign = 'left';
  g.textBaseline = 'middle';
  g.font = '12px sans-serif';
  const lx = W - right - 250;
  WHICH.forEach((which, i) => {
    const ly = top + 14 + 18 * i;
    g.strokeStyle = COLOR[which];
    g.lineWidth = which === 'builtin' ? 6 : 2;
    g.beginPath(); g.moveTo(lx, ly); g.lineTo(lx + 26, ly); g.stroke();
    g.fillStyle = '#222';
    g.fillText(LABEL[which], lx + 34, ly);
  });
}

function median(v: number[]): number {
  const s = v.slice().sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function cell(which: Which, metric: string, text: string): void {
  document.querySelector(`tr[data-model="${which}"] td[data-metric="${metric}"]`)!.textContent = text;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

async function accuracy(model: tf.LayersModel, x: tf.Tensor, y: Int32Array): Promise<number> {
  const pred = tf.tidy(() => tf.argMax(model.predict(x) as tf.Tensor, 1));
  const p = await pred.data();
  pred.dispose();
  return Array.from(p).filter((c, i) => c === y[i]).length / y.length;
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const epochs = Number(params.get('epochs') ?? 60);
  state.epochs = epochs;
  const wanted = params.get('backend') ?? ((navigator as unknown as {gpu?: unknown}).gpu ? 'webgpu' : 'webgl');
  if (!(await tf.setBackend(wanted))) {
    await tf.setBackend('webgl');
  }
  await tf.ready();
  state.backend = tf.getBackend();
  const choice = fusedKernelChoice(kernelNames.SparseSoftmaxCrossEntropy);
  state.fused = choice.fused;
  state.fusedReason = choice.reason;
  document.getElementById('backend')!.textContent = state.backend;
  const fused = document.getElementById('fused')!;
  fused.textContent = state.fused ? 'yes' : 'no (composite path)';
  fused.title = choice.reason;  // why, on hover and in the log
  console.log(`fused kernel: ${state.fused ? 'yes' : 'no'}: ${choice.reason}`);
  const progress = document.getElementById('progress')!;
  const canvas = document.getElementById('chart') as HTMLCanvasElement;

  const train = spiral(200, 12345), test = spiral(100, 777);
  const xs = tf.tensor2d(train.x, [train.n, 2]);
  const ids = tf.tensor1d(train.y, 'int32');
  const oneHot = tf.oneHot(ids, CLASSES).toFloat();
  const xsTest = tf.tensor2d(test.x, [test.n, 2]);
  const models: Record<Which, tf.Sequential> = {fused: makeModel(), builtin: makeModel()};
  const optimizers: Record<Which, tf.Optimizer> = {fused: tf.train.adam(0.02), builtin: tf.train.adam(0.02)};
  const lossOf: Record<Which, () => tf.Scalar> = {
    fused: () => sparseSoftmaxCrossEntropyWithLogits(ids, models.fused.apply(xs) as tf.Tensor, {reduction: 'mean'}) as tf.Scalar,
    builtin: () => tf.losses.softmaxCrossEntropy(oneHot, models.builtin.apply(xs) as tf.Tensor) as tf.Scalar,
  };
  const t0 = performance.now();
  for (let epoch = 0; epoch < epochs; epoch++) {
    // Full batch; the two take turns going first, so neither always runs on a warmer device.
    for (const which of epoch % 2 === 0 ? WHICH : WHICH.slice().reverse()) {
      const start = performance.now();
      const loss = optimizers[which].minimize(lossOf[which], true)!;
      state.losses[which].push((await loss.data())[0]);
      state.ms[which].push(performance.now() - start);
      loss.dispose();
    }
    draw(canvas, epochs);
    progress.textContent = `epoch ${epoch + 1}/${epochs}`;
    for (const which of WHICH) {
      cell(which, 'first-loss', state.losses[which][0].toFixed(4));
      cell(which, 'final-loss', state.losses[which][epoch].toFixed(4));
      // The first epoch compiles the shaders: the median leaves it out once there are others.
      state.msPerEpoch[which] = median(state.ms[which].slice(epoch > 0 ? 1 : 0));
      cell(which, 'ms-per-epoch', state.msPerEpoch[which].toFixed(1));
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  for (const which of WHICH) {
    state.trainAccuracy[which] = await accuracy(models[which], xs, train.y);
    state.testAccuracy[which] = await accuracy(models[which], xsTest, test.y);
    cell(which, 'train-accuracy', pct(state.trainAccuracy[which]));
    cell(which, 'test-accuracy', pct(state.testAccuracy[which]));
  }
  const gap = Math.max(...state.losses.fused.map((l, i) => Math.abs(l - state.losses.builtin[i])));
  const ratio = state.msPerEpoch.builtin / state.msPerEpoch.fused;
  document.getElementById('note')!.textContent =
      `Largest gap between the two loss curves: ${gap.toExponential(1)} (float32 rounding: the same loss, ` +
      `computed two ways). Per epoch the built-in loss took ${ratio.toFixed(2)}× the fused one's time ` +
      `(forward, backward and Adam step of the whole network, loss read back).`;
  tf.dispose([xs, ids, oneHot, xsTest]);
  for (const which of WHICH) models[which].dispose();
  state.done = true;
  document.getElementById('state')!.textContent = `Done ✓ ${epochs} epochs in ${seconds.toFixed(1)} s`;
  document.getElementById('status')!.dataset.state = 'done';
}

main().catch(e => {
  state.error = String((e as Error)?.stack ?? e);
  state.done = true;
  document.getElementById('state')!.textContent = 'Error';
  document.getElementById('status')!.dataset.state = 'error';
  document.getElementById('error')!.textContent = state.error;
});
