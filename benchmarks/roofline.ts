/**
 * The copy bandwidth of the device the active backend runs on, measured in
 * the same run as the kernels: the roofline each cell's bytes moved are
 * compared with (CellResult.rooflineFraction).
 *
 *  - webgpu: `copyBufferToBuffer` of one storage buffer into another, R
 *    copies in one submit, wall time to `onSubmittedWorkDone`; bytes = 2·S·R
 *    (each copy reads and writes S bytes). The median of 5 submits after one
 *    untimed.
 *  - cpu, wasm, tensorflow (the host): `Float32Array.set` of S bytes, the
 *    same count.
 *  - webgl: no buffer copy that tfjs's WebGL context lets us time apart from
 *    its own work, so a read-write pass instead: R chained `tf.neg` programs
 *    over an S-byte float32 tensor already on the GPU, wall time to a
 *    one-element read of the last (after one untimed round that compiles and
 *    uploads); bytes = 2·S·R, counted as the kernels' floors are (4 bytes
 *    per float32 value, whatever the texture layout).
 *
 * Browser-safe: no Node API.
 */
import * as tf from '@tensorflow/tfjs-core';
import {Roofline, summarize} from './harness';

const MiB = 1024 * 1024;

export async function measureRoofline(softwareDevice: boolean): Promise<Roofline> {
  const backend = tf.getBackend();
  try {
    if (backend === 'webgpu') return await webgpuCopy(softwareDevice);
    if (backend === 'webgl') return await webglPass(softwareDevice);
    if (backend === 'cpu' || backend === 'wasm' || backend === 'tensorflow') return await hostCopy();
    return {unavailable: `no copy-bandwidth probe for ${backend}`};
  } catch (e) {
    return {unavailable: e instanceof Error ? e.message : String(e)};
  }
}

async function webgpuCopy(software: boolean): Promise<Roofline> {
  const device = (tf.backend() as unknown as {device: GPUDevice}).device;
  const size = Math.min(software ? 32 * MiB : 256 * MiB, device.limits.maxBufferSize);
  const copies = software ? 2 : 8;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const a = device.createBuffer({size, usage});
  const b = device.createBuffer({size, usage});
  try {
    const once = async () => {
      const enc = device.createCommandEncoder();
      for (let i = 0; i < copies; i++) {
        if (i % 2 === 0) enc.copyBufferToBuffer(a, 0, b, 0, size);
        else enc.copyBufferToBuffer(b, 0, a, 0, size);
      }
      const t0 = performance.now();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
    return await timedCopies('webgpu copyBufferToBuffer (wall time to onSubmittedWorkDone)', 2 * size, copies, once);
  } finally {
    a.destroy();
    b.destroy();
  }
}

async function webglPass(software: boolean): Promise<Roofline> {
  const size = software ? 32 * MiB : 256 * MiB;
  const passes = software ? 2 : 8;
  const x = tf.fill([size / 4], 1, 'float32');
  try {
    const once = async () => {
      const t0 = performance.now();
      const last = tf.tidy(() => {
        let y: tf.Tensor = x;
        for (let i = 0; i < passes; i++) y = tf.neg(y);
        return tf.slice(y, [0], [1]);
      });
      await last.data();
      last.dispose();
      return performance.now() - t0;
    };
    return await timedCopies('webgl neg passes over a float32 tensor (wall time to a one-element read)', 2 * size, passes, once);
  } finally {
    x.dispose();
  }
}

function hostCopy(): Promise<Roofline> {
  const size = 64 * MiB;
  const src = new Float32Array(size / 4).fill(1);
  const dst = new Float32Array(size / 4);
  return timedCopies('host Float32Array.set', 2 * size, 1, () => {
    const t0 = performance.now();
    dst.set(src);
    return performance.now() - t0;
  });
}

/**
 * The probes' protocol: `once()` (ms for `copies` copies of `bytesPerCopy`
 * bytes each) run once untimed, then 5 times; the median gives GB/s.
 */
async function timedCopies(method: string, bytesPerCopy: number, copies: number,
                           once: () => number | Promise<number>): Promise<Roofline> {
  await once();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) times.push(await once());
  const ms = summarize(times).medianMs;
  return {
    method, bytesPerCopy, copies,
    gbps: (bytesPerCopy * copies) / (ms * 1e6), timesMs: times.map(t => Math.round(t * 1000) / 1000),
  };
}
