/**
 * Which shapes and modes each suite runs, per backend: pure policy, kept apart
 * from the suites (which import tfjs-layers' ES-module internals) so that it
 * can be read and tested alone.
 */
import type {Mode, Shape} from './harness';

const GPU_BACKENDS = ['webgpu', 'webgl'];
const isGpu = (backend: string) => GPU_BACKENDS.includes(backend);
const s = (rows: number, classes: number): Shape => ({rows, classes});

/**
 * Default shapes: cpu 4096×10, 1024×1000, 256×32000 (issue 2); webgpu/webgl
 * 4096×1000 and 1024×32000 (issues 3/4); wasm the two small cpu shapes.
 * `--full` sweeps 4096×10 … 1024×32000 everywhere, and GPUs go on to
 * 4096×32000 and 8192×32000 (1 GiB of logits: webgpu's default
 * maxBufferSize is 1 GiB, so this is the largest shape the backend holds).
 *
 * On a software GPU (SwiftShader: no GPU on the machine) the default GPU
 * shapes are 512×1000 and 128×8000: tf.losses' forward+backward at 1024×32000
 * took 13 s per call there and the composite 53 s (webgpu in Node,
 * SwiftShader, 2 shared cores), which would make `npm run bench` last an
 * hour. `--shapes 4096x1000,1024x32000` or `--full` still runs them.
 */
export const SOFTWARE_GPU_SHAPES = [s(512, 1000), s(128, 8000)];

export function softmaxShapes(backend: string, full: boolean, software: boolean): Shape[] {
  if (full) {
    const sweep = [s(4096, 10), s(4096, 100), s(4096, 1000), s(1024, 10000), s(256, 32000), s(1024, 32000)];
    return isGpu(backend) ? [...sweep, s(4096, 32000), s(8192, 32000)] : sweep;
  }
  if (isGpu(backend)) return software ? SOFTWARE_GPU_SHAPES : [s(4096, 1000), s(1024, 32000)];
  if (backend === 'wasm') return [s(4096, 10), s(1024, 1000)];
  return [s(4096, 10), s(1024, 1000), s(256, 32000)];
}

/**
 * Forward and forward+backward everywhere; one training step where the
 * one-layer model stays small (its [32, C] weights and matmuls would
 * otherwise be most of the time): C ≤ 1000, plus up to 1024×32000 in
 * `--full`; not on software GPUs unless `--full`.
 */
export function softmaxModes(_backend: string, shape: Shape, full: boolean, software: boolean): Mode[] {
  const train = full ? shape.rows * shape.classes <= 1024 * 32000 : shape.classes <= 1000 && !software;
  return train ? ['forward', 'forward+backward', 'train'] : ['forward', 'forward+backward'];
}

/**
 * Large vocabularies (language-model heads), sparse labels: C = 50257
 * (GPT-2), 128256 (Llama 3), 262144 (Gemma 3).
 */
export function largeVocabShapes(backend: string, full: boolean, software: boolean): Shape[] {
  if (full) {
    const sweep = [s(64, 50257), s(128, 128256), s(32, 262144)];
    return isGpu(backend) ? [...sweep, s(512, 128256), s(1024, 262144)] : sweep;
  }
  if (!isGpu(backend)) return [s(32, 128256)];
  return software ? [s(8, 128256)] : [s(128, 128256)];
}

/** Sigmoid cross-entropy: elementwise, multi-label heads up to 1000 classes by default. */
export function sigmoidShapes(backend: string, full: boolean, software: boolean): Shape[] {
  if (full) return softmaxShapes(backend, full, software);
  if (isGpu(backend)) return software ? [s(512, 1000)] : [s(4096, 1000)];
  return [s(4096, 10), s(1024, 1000)];
}
