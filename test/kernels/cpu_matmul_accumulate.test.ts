/**
 * The cpu GEMM accumulate of linearSoftmaxCrossEntropy, both paths: the
 * WebAssembly SIMD module (kernels/cpu/matmul_accumulate_simd.ts over
 * assembly/matmul_accumulate.ts) and the JavaScript loops
 * (kernels/cpu/matmul_accumulate.ts), against a float64 reference, for every
 * transpose combination, shapes with every tail (rows, columns, k not
 * multiples of the register blocks), a row offset, and tiles small enough
 * that every operand is cut. The op-level spec runs both paths too
 * (test/ops/linear_cross_entropy.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {matMulAccumulateInto} from '../../kernels/cpu/matmul_accumulate';
import {matMulAccumulate, matMulAccumulateSimd, Tiles} from '../../kernels/cpu/matmul_accumulate_simd';
import type {MatMulAccumulateShape} from '../../kernels/linear_cross_entropy_checks';
import {CPU_SIMD_FLAG} from '../../kernels/simd/flags_simd';
import {SimdHeap, simdAvailable} from '../../kernels/simd/simd_module';

function random(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let q = seed >>> 0;
  for (let i = 0; i < n; i++) {
    q = (Math.imul(q, 1103515245) + 12345) >>> 0;
    x[i] = q / 2 ** 32 - 0.5;
  }
  return x;
}

/** c (float64) + A·B, c being [rowOffset + M + 1, P] (rows outside the target stay as they were). */
function reference(c: Float32Array, a: Float32Array, b: Float32Array, s: MatMulAccumulateShape): Float64Array {
  const out = Float64Array.from(c);
  for (let i = 0; i < s.M; i++) {
    for (let j = 0; j < s.P; j++) {
      let sum = 0;
      for (let k = 0; k < s.K; k++) {
        sum += (s.transposeA ? a[k * s.M + i] : a[i * s.K + k]) * (s.transposeB ? b[j * s.K + k] : b[k * s.P + j]);
      }
      out[(s.rowOffset + i) * s.P + j] += sum;
    }
  }
  return out;
}

function relErr(got: Float32Array, want: Float64Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < want.length; i++) {
    num = Math.max(num, Math.abs(got[i] - want[i]));
    den = Math.max(den, Math.abs(want[i]));
  }
  return num / den;
}

const SHAPES: Array<[number, number, number]> = [[1, 1, 1], [7, 9, 13], [4, 16, 8], [33, 70, 19], [130, 5, 300]];
const SMALL_TILES: Tiles = {rows: 4, cols: 8, k: 8};

describe('cpu MatMulAccumulate loops: SIMD module and JavaScript against float64', () => {
  test('WebAssembly SIMD runs here', () => {
    expect(simdAvailable()).toBe(true);
  });

  for (const [M, K, P] of SHAPES) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        test(`M ${M}, K ${K}, P ${P}, transposeA ${transposeA}, transposeB ${transposeB}`, () => {
          const s: MatMulAccumulateShape = {M, K, P, transposeA, transposeB, rowOffset: 1};
          const a = random(M * K, 1 + M), b = random(K * P, 2 + P);
          const c0 = random((M + 2) * P, 3 + K);
          const want = reference(c0, a, b, s);
          const js = c0.slice();
          matMulAccumulateInto(js, a, b, s);
          const heap = new SimdHeap();
          for (const tiles of [undefined, SMALL_TILES]) {
            const simd = c0.slice();
            matMulAccumulateSimd(simd, a, b, s, heap, tiles);
            expect(relErr(simd, want)).toBeLessThan(1e-6);
            // Rows outside [rowOffset, rowOffset + M) untouched.
            expect(Array.from(simd.subarray(0, P))).toEqual(Array.from(c0.subarray(0, P)));
            expect(Array.from(simd.subarray((M + 1) * P))).toEqual(Array.from(c0.subarray((M + 1) * P)));
          }
          expect(relErr(js, want)).toBeLessThan(1e-6);
        });
      }
    }
  }

  test('a plain number array as an operand, and empty products', () => {
    const s: MatMulAccumulateShape = {M: 3, K: 5, P: 6, transposeA: false, transposeB: false, rowOffset: 0};
    const a = random(15, 4), b = random(30, 5), c = new Float32Array(18);
    matMulAccumulateSimd(c, Array.from(a), Array.from(b), s, new SimdHeap());
    expect(relErr(c, reference(new Float32Array(18), a, b, s))).toBeLessThan(1e-6);
    const empty = new Float32Array(6);
    matMulAccumulateSimd(empty, a, b, {...s, K: 0, M: 1}, new SimdHeap());
    expect(Array.from(empty)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  test(`matMulAccumulate takes the path ${CPU_SIMD_FLAG} names`, () => {
    const s: MatMulAccumulateShape = {M: 9, K: 11, P: 10, transposeA: true, transposeB: false, rowOffset: 0};
    const a = random(99, 6), b = random(110, 7);
    const simd = new Float32Array(90), js = new Float32Array(90), want = new Float32Array(90), viaJs = new Float32Array(90);
    matMulAccumulate(simd, a, b, s);
    matMulAccumulateSimd(want, a, b, s, new SimdHeap());
    expect(Array.from(simd)).toEqual(Array.from(want));  // the same code: bitwise
    tf.env().set(CPU_SIMD_FLAG, false);
    try {
      matMulAccumulate(js, a, b, s);
    } finally {
      tf.env().set(CPU_SIMD_FLAG, simdAvailable());
    }
    matMulAccumulateInto(viaJs, a, b, s);
    expect(Array.from(js)).toEqual(Array.from(viaJs));
  });
});
