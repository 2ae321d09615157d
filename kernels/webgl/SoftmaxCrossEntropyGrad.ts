/**
 * WebGL kernels FusedSoftmaxCrossEntropyGrad and
 * FusedSparseSoftmaxCrossEntropyGrad: host side only. Programs and formulas
 * in softmax_cross_entropy_grad_gpu.ts.
 *
 * Launches: dense w.r.t. logits first sums the labels per row for W[i]
 * (1 pass over the labels, more stages when C > singlePassMax()). Then, for
 * unpacked, unsliced logits (the aligned path): 1 tiny pass writing the
 * per-row coefficients ([K, rows]) and 1 elementwise pass; otherwise (packed
 * logits, or a texture layout the aligned path does not cover) 1 elementwise
 * pass through tfjs's getters. The reduction ('none' | 'all') only changes
 * how the per-row programs read dy ([rows], or one element for every row)
 * and scales it: no pass of its own.
 */
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {SoftmaxCrossEntropyGrad, SoftmaxCrossEntropyGradAttrs, SparseSoftmaxCrossEntropyGrad} from '../kernel_names';

import {asWebGL, isPackedOnGpu, planReduction, sumOf, texShapeIs, uploadVector, webglKernel, withRawTexels} from './kernel_util';
import {AlignedLayout, SoftmaxCEAlignedGradProgram, SoftmaxCEGradProgram, SoftmaxCERowCoefProgram, SoftmaxCERowWeightProgram} from './softmax_cross_entropy_grad_gpu';
import {rowDy, softmaxReduction} from './softmax_reduction_webgl';

type Args = Parameters<KernelFunc>[0];

/**
 * W[i] = Σ_c w[c]·ŷ[i,c] as a [rows] tensor, by a staged row sum over the
 * labels.
 *
 * The forward already has W: it is the A of its stats texel. Keeping it as
 * a third, [rows] output would spare this pass (its share of a dense
 * forward+backward: kernels/webgl/README.md, "Measurements"), but the contract (kernel_names.ts: SoftmaxCrossEntropyOutputs =
 * [loss, lse], the backward's inputs {logits, labels, lse, dy}) is shared by
 * every backend's kernels and by the registered gradient (which saves output
 * 1, lse): a third output changes all of them and the ops, so it is left as
 * a proposal. Hiding W in lse's texture (e.g. in the unused lanes of a packed
 * [rows] texel) was rejected: lse is a public output, and any tfjs copy or
 * layout conversion of it would silently drop W.
 */
function rowTargetWeight(
    backend: MathBackendWebGL, labels: TensorInfo, weights: TensorInfo | null,
    attrs: SoftmaxCrossEntropyGradAttrs, packed: boolean): TensorInfo {
  const [rows, numClasses] = labels.shape;
  const smoothing = [
    [1 - attrs.labelSmoothing], [numClasses > 0 ? attrs.labelSmoothing / numClasses : 0],
  ];
  if (!packed && rows * numClasses > 0) {
    for (const t of [labels, weights]) {
      if (t != null) backend.uploadToGPU(t.dataId);
    }
  }
  let partial: TensorInfo | null = null;
  for (const stage of planReduction(numClasses)) {
    const fromLabels = partial == null;
    const program = new SoftmaxCERowWeightProgram({
      rows,
      numWindows: stage.outSize,
      loopBound: stage.loopBound,
      source: fromLabels ? 'labels' : 'partials',
      weighted: weights != null,
      packed,
      linear: !packed,
    });
    const inputs = partial != null ? [partial] : weights == null ? [labels] : [labels, weights];
    const next: TensorInfo = backend.runWebGLProgram(
        program, inputs, 'float32', [[stage.inSize], [stage.windowSize], ...smoothing]);
    if (partial != null) backend.disposeIntermediateTensorInfo(partial);
    partial = next;
  }
  // [rows, 1] unpacked -> [rows]: same texture, same flat layout (the reshape
  // tfjs does for unpacked tensors); the caller disposes it through this info.
  const result = partial as TensorInfo;
  return {dataId: result.dataId, shape: [rows], dtype: result.dtype};
}

/** Where the aligned elementwise program applies, and how (see AlignedLayout). */
interface Aligned {
  layout: AlignedLayout;
  alignedLabels: boolean;
  /** The logits' stored shape and texture shape. */
  shape: number[];
  texShape: [number, number];
}

function alignedLayout(backend: MathBackendWebGL, logits: TensorInfo, labels: TensorInfo, denseLabels: boolean):
    Aligned | null {
  const [rows, numClasses] = logits.shape;
  if (rows * numClasses === 0) return null;
  backend.uploadToGPU(logits.dataId);
  const data = backend.texData.get(logits.dataId);
  if (data.isPacked || data.slice != null || data.texture == null || data.texShape == null) return null;
  const [texH, texW] = data.texShape;
  const layout = texW === numClasses && texH === rows ? 'rows' : texW < numClasses ? 'split' : null;
  // 'rows' and 'split' imply rows ≤ the maximum texture size, so the [K,
  // rows] coefficients fit one texture row each (checked again after).
  if (layout == null) return null;
  let alignedLabels = false;
  if (denseLabels) {
    backend.uploadToGPU(labels.dataId);
    const l = backend.texData.get(labels.dataId);
    alignedLabels = !l.isPacked && l.slice == null && l.texShape != null && l.texShape[0] === texH &&
        l.texShape[1] === texW;
  }
  return {layout, alignedLabels, shape: data.shape, texShape: [texH, texW]};
}

/**
 * The 'split' row map, one RGBA texel per texel row y of the [H, W] texture
 * holding [rows, C] (W < C): the next row starts at x = splitX =
 * (⌊y·W / C⌋ + 1)·C − y·W (≥ W: not in this texel row); texel (y, x) belongs
 * to row r0 = ⌊y·W / C⌋ left of it and r0 + 1 from it on. Stored as
 * (splitX / W, u(r0), u(r0 + 1), splitX), u(r) = (r + ½) / rows the
 * coefficient texel's coordinate, so the fragment compares resultUV.x with
 * splitX / W (x ≥ splitX ⟺ (x + ½) / W > splitX / W, with ½/W to spare) and
 * picks a coordinate: no arithmetic on its own position. Integers exact in
 * float64 here; uploaded as a packed [2, 2H] tensor (texel y = those four).
 */
function rowMap(backend: MathBackendWebGL, texShape: [number, number], rows: number, numClasses: number):
    TensorInfo {
  const [texH, texW] = texShape;
  const values = new Float32Array(4 * texH);
  for (let y = 0; y < texH; y++) {
    const r0 = Math.floor((y * texW) / numClasses);
    const splitX = (r0 + 1) * numClasses - y * texW;
    values[2 * y] = splitX / texW;
    values[2 * y + 1] = (r0 + 0.5) / rows;
    values[2 * texH + 2 * y] = (Math.min(r0 + 1, rows - 1) + 0.5) / rows;
    values[2 * texH + 2 * y + 1] = splitX;
  }
  const t = backend.makeTensorInfo([2, 2 * texH], 'float32', values);
  // Upload it packed, as tfjs does for a packed program's CPU input.
  backend.texData.get(t.dataId).isPacked = true;
  backend.uploadToGPU(t.dataId);
  return t;
}

function softmaxCrossEntropyBackward(args: Args, sparse: boolean): TensorInfo {
  const backend = asWebGL(args.backend);
  const {logits, labels, lse} = args.inputs as {logits: TensorInfo, labels: TensorInfo, lse: TensorInfo};
  const attrs = args.attrs as unknown as SoftmaxCrossEntropyGradAttrs;
  const [rows, numClasses] = logits.shape;
  const kernel = sparse ? SparseSoftmaxCrossEntropyGrad : SoftmaxCrossEntropyGrad;
  const {reduction, scale} = softmaxReduction(attrs, kernel);
  const dyAll = reduction === 'all';
  const dy = rowDy(attrs, args.inputs.dy as TensorInfo, rows, kernel);
  const packed = isPackedOnGpu(backend, logits);
  const weights = attrs.classWeights == null ? null : uploadVector(backend, attrs.classWeights);
  const rowWeight = !sparse && attrs.wrt === 'logits' ?
      // Reads only the labels: their layout picks the variant.
      rowTargetWeight(backend, labels, weights, attrs, isPackedOnGpu(backend, labels)) :
      null;
  const uniforms = [
    [numClasses], [1 / attrs.temperature], [1 - attrs.labelSmoothing],
    [numClasses > 0 ? attrs.labelSmoothing / numClasses : 0], [attrs.zLoss],
    [sumOf(attrs.classWeights, numClasses)], [attrs.ignoreIndex ?? 0], [scale],
  ];
  const temps: TensorInfo[] = [];
  if (weights != null) temps.push(weights);
  if (rowWeight != null) temps.push(rowWeight);
  const hasIgnoreIndex = sparse && attrs.ignoreIndex != null;
  try {
    const aligned = packed ? null : alignedLayout(backend, logits, labels, !sparse);
    if (aligned != null) {
      const coefInputs = sparse ? [lse, dy, labels, ...(weights != null ? [weights] : [])] :
          rowWeight != null ? [lse, dy, rowWeight] : [lse, dy];
      const alignedUniforms = [...uniforms, [-Infinity]];
      const coefs = backend.runWebGLProgram(
          new SoftmaxCERowCoefProgram({rows, sparse, wrt: attrs.wrt, weighted: weights != null, hasIgnoreIndex, dyAll}),
          coefInputs, 'float32', alignedUniforms);
      temps.push(coefs);
      const map = aligned.layout === 'split' ? rowMap(backend, aligned.texShape, rows, numClasses) : null;
      if (map != null) temps.push(map);
      if (texShapeIs(backend, coefs, 2, 2 * rows) && (map == null || texShapeIs(backend, map, 2, 2 * aligned.texShape[0]))) {
        if (weights != null) backend.uploadToGPU(weights.dataId);
        const raw = map != null ? [coefs, map] : [coefs];
        const result = withRawTexels(backend, raw, () => backend.runWebGLProgram(
            new SoftmaxCEAlignedGradProgram({
              outputShape: aligned.shape,
              layout: aligned.layout,
              sparse,
              wrt: attrs.wrt,
              weighted: weights != null,
              alignedLabels: aligned.alignedLabels,
            }),
            [logits, labels, coefs, ...(weights != null ? [weights] : []), ...(map != null ? [map] : [])],
            'float32', alignedUniforms));
        // The output took the logits' stored shape, so tfjs gave it their
        // texture shape (same function, same arguments): checked, with the
        // getter program as the fallback. The [rows, C] view is free for
        // unpacked data, as tfjs's own reshape.
        if (texShapeIs(backend, result, aligned.texShape[0], aligned.texShape[1])) {
          return {dataId: result.dataId, shape: [rows, numClasses], dtype: result.dtype};
        }
        backend.disposeIntermediateTensorInfo(result);
      }
    }
    const inputs = [logits, labels, lse, dy];
    if (rowWeight != null) inputs.push(rowWeight);
    if (weights != null) inputs.push(weights);
    return backend.runWebGLProgram(
        new SoftmaxCEGradProgram({
          rows,
          numClasses,
          sparse,
          wrt: attrs.wrt,
          weighted: weights != null,
          hasIgnoreIndex,
          packed,
          dyAll,
        }),
        inputs, 'float32', uniforms);
  } finally {
    for (const t of temps) backend.disposeIntermediateTensorInfo(t);
  }
}

export const softmaxCrossEntropyGradConfig = webglKernel(SoftmaxCrossEntropyGrad,
    (args) => softmaxCrossEntropyBackward(args, false));

export const sparseSoftmaxCrossEntropyGradConfig = webglKernel(SparseSoftmaxCrossEntropyGrad,
    (args) => softmaxCrossEntropyBackward(args, true));
