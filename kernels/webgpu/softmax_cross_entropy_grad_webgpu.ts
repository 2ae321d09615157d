/**
 * Elementwise WGSL programs of the softmax cross-entropy backward: sparse
 * w.r.t. logits, and dense w.r.t. labels. One thread per element (a vec4 of
 * four where C % 4 == 0; a vec4 then never straddles two rows), reading the
 * logits, the label (or label row), and the per-row lse and dy. The dense
 * backward w.r.t. logits needs a row sum of the labels first and lives with
 * the row programs in softmax_cross_entropy_webgpu.ts. Formulas:
 * kernels/FORMULAS.md.
 */
import {ElementwiseVariant, elementwiseHeader, elementwiseKey, elementwisePrologue} from './elementwise_webgpu';
import {StorageType, WgslProgram} from './launch';
import {scaledDy, SOFTMAX_UNIFORMS, SoftmaxDyMode} from './softmax_cross_entropy_webgpu';
import {arrayOf, bindingBlock, storage} from './wgsl_common';

/**
 * Sparse backward w.r.t. logits: dx = scale·dy_b/T·((W + 2λ·lse)·p − w·ŷ), W = (1 − ε)·w[t] + ε/C·Σw,
 * p = exp((x − m)/T)/s from the forward's saved (m, s) [rows, 2].
 */
export class SparseSoftmaxCrossEntropyGradProgram extends WgslProgram {
  /**
   * `types`: WGSL scalar type of each input buffer (logits, labels, lse, dy).
   * `inPlace`: the logits are binding 0 itself (read_write, f32), read and
   * then overwritten by the thread that owns each element (no race; WebGPU
   * forbids binding one buffer both read-only and writable in a dispatch), and
   * the inputs are (labels, lse, dy). `dyMode`: dy per row or one element.
   */
  constructor(readonly variant: ElementwiseVariant, readonly types: readonly StorageType[], readonly inPlace = false,
              readonly dyMode: SoftmaxDyMode = 'none') {
    super(`softmaxCEGrad_sparse_${elementwiseKey(variant)}_${types.join('')}${inPlace ? '_inPlace' : ''}_dy${dyMode}`,
        variant.wg);
  }

  getCode(): string {
    const v = this.variant;
    const {code: bindings, weightBinding} = bindingBlock([
      {name: 'dx', type: arrayOf('V'), write: true},
      this.inPlace ? null : {name: 'logits', type: arrayOf(storage(v.vec, this.types[0]))},
      {name: 'labels', type: arrayOf('i32')},
      {name: 'lseIn', type: arrayOf(this.types[this.types.length - 2])},
      {name: 'dy', type: arrayOf(this.types[this.types.length - 1])},
    ], v.weights);
    const logitAt = this.inPlace ? 'dx[e]' : 'logits[e]';
    return `${elementwiseHeader(v, SOFTMAX_UNIFORMS, bindings, weightBinding)}
${elementwisePrologue(v.wg, 'u.rows * (u.cols / VEC)')}
  let t = labels[row];
  if (u.hasIgnore != 0u && t == u.ignoreIndex) {
    dx[e] = V(0.0);
    return;
  }
  if (t < 0 || t >= i32(u.cols)) {
    dx[e] = V(u.nan);
    return;
  }
  let tu = u32(t);
  let T = u.temperature;
  let invT = 1.0 / T;
  // The saved (m, s): p = exp((x − m)/T)·(1/s), the 1/s folded into the row factor.
  let m = f32(lseIn[2u * row]);
  let s = f32(lseIn[2u * row + 1u]);
  let k = 1.0 / s;
  var scale = (u.keep * weight(tu) + u.spread * u.sumWeights) * k;
  if (u.zLoss != 0.0) {
    scale += 2.0 * u.zLoss * (m * invT + log(s)) * k;
  }
  let x = V(${logitAt});
  let yh = u.keep * indicator(col, tu) + V(u.spread);
  let grad = ${scaledDy(this.dyMode)} / T * (scale * exp((x - V(m)) * V(invT)) - weightV(col / VEC) * yh);
  dx[e] = select(grad, V(u.nan), isNanV(x) | B(isNanF(s)));
}
`;
  }
}

/** Dense backward w.r.t. labels: dlabels = scale·dy_b·(1 − ε)·w·(lse − z), lse − z = log s + (m − x)/T. */
export class SoftmaxCrossEntropyLabelsGradProgram extends WgslProgram {
  /** `types`: WGSL scalar type of each input buffer (logits, lse, dy); `dyMode`: dy per row or one element. */
  constructor(readonly variant: ElementwiseVariant, readonly types: readonly StorageType[],
              readonly dyMode: SoftmaxDyMode = 'none') {
    super(`softmaxCEGrad_labels_${elementwiseKey(variant)}_${types.join('')}_dy${dyMode}`, variant.wg);
  }

  getCode(): string {
    const v = this.variant;
    const {code: bindings, weightBinding} = bindingBlock([
      {name: 'dlabels', type: arrayOf('V'), write: true},
      {name: 'logits', type: arrayOf(storage(v.vec, this.types[0]))},
      {name: 'lseIn', type: arrayOf(this.types[this.types.length - 2])},
      {name: 'dy', type: arrayOf(this.types[this.types.length - 1])},
    ], v.weights);
    return `${elementwiseHeader(v, SOFTMAX_UNIFORMS, bindings, weightBinding)}
${elementwisePrologue(v.wg, 'u.rows * (u.cols / VEC)')}
  let m = f32(lseIn[2u * row]);
  let s = f32(lseIn[2u * row + 1u]);
  let x = V(logits[e]);
  let g = ${scaledDy(this.dyMode)} * u.keep * weightV(col / VEC) * (V(log(s)) + (V(m) - x) * V(1.0 / u.temperature));
  // NaN chosen explicitly: log(NaN) is not NaN on every GPU (SwiftShader).
  dlabels[e] = select(g, V(u.nan), isNanV(x) | B(isNanF(s)));
}
`;
  }
}
