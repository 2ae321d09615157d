/**
 * Page side of scripts/webgl-padding-nan-repro.ts (bundled by it). Plain tfjs
 * ops, no code of this package: the composite softmax cross-entropy gradient
 * on a [13, 11] batch, step by step, printing what each packed texture holds
 * in its padding lanes (the lanes of a 2×2 texel past the 13th row or 11th
 * column, or past column 1 of a [13, 1] column), then dW = Gᵀ·h the way a dense layer's backward computes it.
 */
import * as tf from '@tensorflow/tfjs';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

/** 'unpacked', or the range of the values in a packed 2-D texture's padding lanes. */
function padding(t: tf.Tensor): string {
  const b = tf.backend() as MathBackendWebGL;
  const d = b.texData.get(t.dataId) as unknown as {isPacked: boolean, texShape: [number, number], texture: {texture: WebGLTexture}};
  if (!d.isPacked) return 'unpacked';
  const [R, C] = t.shape;
  const pr = Math.ceil(d.texShape[0] / 2), pc = Math.ceil(d.texShape[1] / 2);
  const raw = b.gpgpu.downloadMatrixFromPackedTexture(d.texture.texture, pr, pc) as Float32Array;
  let lanes = 0, nan = 0, lo = Infinity, hi = -Infinity;
  for (let tr = 0; tr < pr; tr++) {
    for (let tc = 0; tc < pc; tc++) {
      for (let l = 0; l < 4; l++) {
        const r = 2 * tr + (l >> 1), c = 2 * tc + (l & 1);
        if (r < R && c < C) continue;
        lanes++;
        const v = raw[(tr * pc + tc) * 4 + l];
        if (Number.isNaN(v)) nan++;
        else {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
  }
  return `packed; its ${lanes} padding lanes hold ${nan} NaN, the others in [${lo.toPrecision(4)}, ${hi.toPrecision(4)}]`;
}

const nans = async (t: tf.Tensor) => (await t.data()).filter(Number.isNaN).length;

async function run(): Promise<string[]> {
  if (!(await tf.setBackend('webgl'))) throw new Error('no webgl backend');
  const out: string[] = [];
  const show = (name: string, t: tf.Tensor) => out.push(`${name.padEnd(34)} [${t.shape}] ${padding(t)}`);
  const R = 13, C = 11, H = 6;
  const h = tf.randomNormal([R, H], 0, 1, 'float32', 1);
  const w = tf.randomNormal([C, H], 0, 0.4, 'float32', 2);
  const bias = tf.add(tf.randomNormal([C], 0, 0.5, 'float32', 3), 1);
  const labels = tf.tensor1d(Array.from({length: R}, (_, i) => (i * 7) % C), 'int32');
  const z = tf.add(tf.matMul(h, w, false, true), bias); show('z = h·Wᵀ + b', z);
  const m = tf.max(z, -1, true); show('m = max(z)', m);
  const s = tf.sum(tf.exp(tf.sub(z, m)), -1, true); show('s = Σ exp(z − m)', s);
  const logS = tf.log(s); show('log(s)', logS);
  const lse = tf.add(logS, m); show('lse = log(s) + m', lse);
  const p = tf.exp(tf.sub(z, lse)); show('p = exp(z − lse)', p);
  const y = tf.cast(tf.oneHot(labels, C), 'float32'); show('y = oneHot', y);
  const W = tf.sum(y, -1, true); show('W = Σ y', W);
  const G = tf.mul(tf.sub(tf.mul(W, p), y), 1 / R); show('G = (W·p − y)/R', G);
  out.push(`NaN in G itself: ${await nans(G)} of ${R * C}`);
  out.push(`dh = G·W:           NaN ${await nans(tf.matMul(G, w))} of ${R * H}`);
  out.push(`dW = Gᵀ·h:          NaN ${await nans(tf.matMul(G, h, true, false))} of ${C * H}   <- the padding row is summed`);
  // The reverted mask form: a [13, 1] column of 0 / NaN (row 1 out of range) added to G.
  const col = tf.expandDims(tf.where(tf.equal(tf.range(0, R, 1, 'int32'), 1), tf.fill([R], NaN), tf.fill([R], 0)), 1);
  const masked = tf.add(G, col); show('add(G, col 0/NaN at row 1)', masked);
  const mv = await masked.data();
  const nanRows = [...new Set(Array.from(mv.keys()).filter(i => Number.isNaN(mv[i])).map(i => Math.floor(i / C)))];
  out.push(`rows of it with NaN: [${nanRows}] (the broadcast itself is right)`);
  const sel = tf.where(tf.zeros([R, C], 'bool'), tf.zerosLike(G), G); show('where(false, 0, G) (unpacked op)', sel);
  out.push(`dW from where(…, G): NaN ${await nans(tf.matMul(sel, h, true, false))} of ${C * H}`);
  const lseW = tf.where(tf.equal(m, -Infinity), m, tf.add(tf.log(s), m)); show('lse with where last', lseW);
  const G2 = tf.mul(tf.sub(tf.mul(W, tf.exp(tf.sub(z, lseW))), y), 1 / R); show('G from that lse', G2);
  out.push(`dW from that G:     NaN ${await nans(tf.matMul(G2, h, true, false))} of ${C * H}`);
  return out;
}

(window as unknown as {__paddingRepro: typeof run}).__paddingRepro = run;
