/**
 * The next-token example in the browser: the same model, loop and
 * measurements as in Node (../model.ts), trained on WebGPU (WebGL where the
 * browser has no WebGPU; `?backend=webgl|webgpu|cpu` forces one) on the corpus
 * that serve.ts serves from the typescript npm package. It plots the loss per
 * step against the corpus's unigram entropy, then shows sampled text and the
 * loss head's peak memory, chunked vs materialised logits.
 *
 * Query parameters: backend, quick=1 (a short run: the headless test),
 * steps=N. When done, `window.nextTokenState` holds the results
 * (test/examples/next_token_browser.test.ts reads it).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import {fusedKernelChoice, kernelNames} from '../../../src/index';
import {NextTokenOptions, NextTokenSummary, trainNextToken} from '../model';

interface NextTokenState {
  done: boolean;
  error: string | null;
  backend: string;
  /** The fused cross-entropy kernels run (not the composite path). */
  fused: boolean;
  /** Why (fusedKernelChoice's reason). */
  fusedReason: string;
  /** The gradient accumulators are written in place (cpu, webgpu; not webgl). */
  inPlace: boolean;
  losses: number[];
  summary: NextTokenSummary | null;
  log: string[];
}

const state: NextTokenState = {done: false, error: null, backend: '', fused: false, fusedReason: '', inPlace: false, losses: [], summary: null, log: []};
(window as unknown as {nextTokenState: NextTokenState}).nextTokenState = state;

function draw(canvas: HTMLCanvasElement, losses: number[], steps: number, unigram: number | null): void {
  const g = canvas.getContext('2d')!;
  const W = canvas.width, H = canvas.height, left = 50, right = 20, top = 20, bottom = 36;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, W, H);
  const maxLoss = Math.max(...losses, unigram ?? 0, 1e-6);
  const px = (s: number) => left + (W - left - right) * s / Math.max(steps - 1, 1);
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
  g.fillText('0', 34, H - bottom + 4);
  g.fillText('step', W / 2, H - 8);
  g.fillText('loss (nats/char)', left + 8, top + 4);
  if (unigram != null) {
    g.strokeStyle = '#d62728';
    g.setLineDash([6, 4]);
    g.beginPath();
    g.moveTo(left, py(unigram));
    g.lineTo(W - right, py(unigram));
    g.stroke();
    g.setLineDash([]);
    g.fillStyle = '#d62728';
    g.fillText('unigram entropy (no context)', W - right - 180, py(unigram) - 6);
  }
  g.strokeStyle = '#1f77b4';
  g.lineWidth = 2;
  g.beginPath();
  losses.forEach((l, s) => (s === 0 ? g.moveTo(px(s), py(l)) : g.lineTo(px(s), py(l))));
  g.stroke();
}

const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const quick = params.get('quick') === '1';
  const wanted = params.get('backend') ?? ((navigator as unknown as {gpu?: unknown}).gpu ? 'webgpu' : 'webgl');
  if (!(await tf.setBackend(wanted))) {
    await tf.setBackend('webgl');
  }
  await tf.ready();
  state.backend = tf.getBackend();
  const choice = fusedKernelChoice(kernelNames.SparseSoftmaxCrossEntropy);
  state.fused = choice.fused;
  state.fusedReason = choice.reason;
  state.inPlace = tf.getKernel('FusedMatMulAccumulate', state.backend) != null;
  const status = document.getElementById('status')!;
  const canvas = document.getElementById('chart') as HTMLCanvasElement;

  const response = await fetch('corpus.txt');
  if (!response.ok) {
    throw new Error(`corpus.txt: HTTP ${response.status}`);
  }
  const text = (await response.text()).replace(/\r\n/g, '\n');
  // Quick: the Node example's quick model, half its steps (the headless test runs on SwiftShader, a cpu emulation of a GPU).
  const options: NextTokenOptions = quick ?
      {quick: true, steps: Number(params.get('steps') ?? 150), memoryRows: [1024], sampleChars: 160} :
      {quick: false, steps: Number(params.get('steps') ?? 600), batchSize: 128, context: 12, hidden: 96, memoryRows: [128, 4096]};
  const steps = options.steps!;
  let unigram: number | null = null;
  const t0 = performance.now();
  const summary = await trainNextToken(text, 'typescript/lib/lib.es5.d.ts (served from the typescript npm package)', {
    ...options,
    log: line => {
      state.log.push(line);
      const m = /unigram entropy ([0-9.]+)/.exec(line);
      if (m != null && unigram == null) unigram = Number(m[1]);
    },
    onStep: (s, loss) => {
      state.losses.push(loss);
      status.textContent = `backend ${state.backend} · fused cross-entropy: ${state.fused ? 'yes' : 'no'} (${state.fusedReason}) · ` +
          `gradients in place: ${state.inPlace ? 'yes' : 'no (webgl: out of place)'} · step ${s}/${steps} · loss ${loss.toFixed(3)} · ` +
          `${((performance.now() - t0) / s).toFixed(0)} ms/step`;
    },
    yieldEvery: 5,
    yieldFn: () => new Promise(resolve => {
      draw(canvas, state.losses, steps, unigram);
      setTimeout(resolve, 0);
    }),
  });
  draw(canvas, state.losses, steps, summary.unigramEntropy);
  state.summary = summary;
  status.textContent += ` · held-out loss ${summary.heldOutLoss.toFixed(3)} (unigram ${summary.unigramEntropy.toFixed(3)})`;
  document.getElementById('sample')!.textContent = summary.prompt + summary.sample;
  document.getElementById('memory')!.textContent =
      `${summary.memoryRows} rows × ${summary.vocab} classes: peak ${kib(summary.peakChunkedBytes)} chunked vs ` +
      `${kib(summary.peakUnfusedBytes)} with materialised logits (${(summary.peakUnfusedBytes / summary.peakChunkedBytes).toFixed(1)}× less, ` +
      `saved ${kib(summary.peakUnfusedBytes - summary.peakChunkedBytes)}; counted as ${summary.memoryCounter})`;
  state.done = true;
}

main().catch(e => {
  state.error = String((e as Error)?.stack ?? e);
  state.done = true;
  document.getElementById('status')!.textContent = `error: ${state.error}`;
});
