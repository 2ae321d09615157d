/**
 * Host-side launcher of the fused WebGPU kernels: compiles (once per shader
 * key) and records one compute dispatch on tfjs's own command encoder.
 *
 * Why not `backend.runWebGPUProgram`? It generates the WGSL preamble itself
 * and gives a program exactly one output. Our kernels need three things it
 * cannot express:
 *  - `enable subgroups;` must be the first line of the module (WGSL
 *    directives precede all declarations; tfjs's preamble starts with
 *    declarations), so the subgroup path is impossible through it;
 *  - the softmax forward writes two outputs (loss and lse) in one dispatch,
 *    where runWebGPUProgram would need a `[2, rows]` buffer plus two slice
 *    programs, which cost a large share of the forward (README.md, "Two
 *    outputs from one dispatch");
 *  - one workgroup per row needs a 2-D grid past 65535 rows, which tfjs only
 *    folds for x-only layouts.
 * So this file writes the complete module (see the `*_webgpu.ts` programs)
 * and mirrors `recordAndSubmit` of tfjs-backend-webgpu 4.22: same command
 * encoder, same compute pass, same deferred-submit batching, same uniform and
 * tensor lifetime bookkeeping, same timestamp queries under `tf.time`.
 * Pipelines live in the backend's own `pipelineCache` under keys starting with
 * `PIPELINE_KEY_PREFIX`, next to tfjs's, and every size travels in uniforms:
 * a new `[rows, C]` never compiles a new pipeline.
 *
 * The backend fields used here are private in the .d.ts but stable across
 * tfjs 4.x; `WebGPUBackendInternals` names each one.
 */
import {DataType, env, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

/** Prefix of every pipeline-cache key of this package. */
export const PIPELINE_KEY_PREFIX = 'FusedCE/';

/**
 * WGSL scalar type of a tensor's GPU buffer. It can differ from the tensor's
 * dtype: tfjs casts int32/bool to float32 without converting the buffer.
 */
export type StorageType = 'f32' | 'i32';

export function storageType(backend: WebGPUBackend, t: TensorInfo): StorageType {
  const dtype = internals(backend).tensorMap.get(t.dataId).dtype;
  return dtype === 'float32' ? 'f32' : 'i32';
}

/** One uniform scalar, in declaration order of the WGSL `Uniforms` struct. */
export interface UniformScalar {
  type: 'int32' | 'uint32' | 'float32';
  data: [number];
}

/** A complete WGSL module plus how to launch it. */
export interface FusedProgram {
  /** Everything baked into the WGSL text, and nothing else (sizes are uniforms). */
  readonly key: string;
  /** Threads per workgroup (x only). */
  readonly workgroupSize: number;
  /** The whole module; entry point `main`. Called only on a cache miss. */
  getCode(): string;
}

/** The skeleton every program here shares: its cache key and workgroup size; subclasses write getCode. */
export abstract class WgslProgram implements FusedProgram {
  constructor(readonly key: string, readonly workgroupSize: number) {}
  abstract getCode(): string;
}

/** The parts of tfjs's WebGPUBackend (4.22) that a custom dispatch needs. */
interface WebGPUBackendInternals {
  device: GPUDevice;
  tensorMap: {get(dataId: object): {dtype: DataType}};
  pipelineCache: Record<string, GPUComputePipeline | Promise<GPUComputePipeline>>;
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  commandQueueOwnedIds: WeakSet<object>;
  dispatchCountInPass: number;
  activeTimers: Array<{name: string, query: Promise<number>}> | null;
  supportTimestampQuery: boolean;
  querySet: GPUQuerySet | null;
  querySetCount: number;
  uploadToGPU(dataId: object): void;
  tensorToBinding(t: TensorInfo): GPUBindingResource;
  makeUniforms(u: Array<{type: string, data: number[]}>): GPUBufferBinding;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  getQueryTime(): Promise<number>;
  makeTensorInfo(shape: number[], dtype: DataType, values?: Float32Array | Int32Array): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

function internals(backend: WebGPUBackend): WebGPUBackendInternals {
  return backend as unknown as WebGPUBackendInternals;
}

/** Largest workgroup count per grid dimension (the WebGPU default limit). */
function maxPerDimension(b: WebGPUBackendInternals): number {
  return b.device.limits.maxComputeWorkgroupsPerDimension;
}

/**
 * Folds `count` workgroups into an `[x, y]` grid within the per-dimension
 * limit. Shaders recover the linear workgroup index as
 * `wid.y * nwg.x + wid.x` and guard the overshoot (at most x − 1 groups).
 */
export function gridFor(backend: WebGPUBackend, count: number): [number, number] {
  const max = maxPerDimension(internals(backend));
  if (count <= max) {
    return [count, 1];
  }
  const y = Math.ceil(count / max);
  if (y > max) {
    throw new Error(`fused cross-entropy (webgpu): ${count} workgroups exceed ${max}² per dispatch`);
  }
  return [Math.ceil(count / y), y];
}

function pipelineFor(b: WebGPUBackendInternals, program: FusedProgram): GPUComputePipeline {
  const key = PIPELINE_KEY_PREFIX + program.key;
  let pipeline = b.pipelineCache[key];
  if (pipeline == null) {
    const module = b.device.createShaderModule({code: program.getCode(), label: key});
    pipeline = b.device.createComputePipeline({layout: 'auto', compute: {module, entryPoint: 'main'}, label: key});
    b.pipelineCache[key] = pipeline;
  }
  if (pipeline instanceof Promise) {
    // Only tfjs's WEBGPU_ENGINE_COMPILE_ONLY mode stores promises; we never do.
    throw new Error(`fused cross-entropy (webgpu): pipeline ${key} is still compiling`);
  }
  return pipeline;
}

/** Allocates an output tensor on the backend (its GPU buffer is created at launch). */
export function makeOutput(backend: WebGPUBackend, shape: number[], dtype: DataType = 'float32'): TensorInfo {
  return internals(backend).makeTensorInfo(shape, dtype);
}

/** An empty float32 output, for empty batches: no dispatch, no buffer. */
export function makeEmpty(backend: WebGPUBackend, shape: number[]): TensorInfo {
  return internals(backend).makeTensorInfo(shape, 'float32', new Float32Array(0));
}

/**
 * A small float32 vector (class weights, positive weights) uploaded for one
 * call; release it with `disposeTemp` after the launch (tfjs defers the
 * actual release until the queue that reads it has been submitted).
 */
export function uploadVector(backend: WebGPUBackend, values: ArrayLike<number>): TensorInfo {
  return internals(backend).makeTensorInfo([values.length], 'float32', Float32Array.from(values));
}

export function disposeTemp(backend: WebGPUBackend, t: TensorInfo): void {
  internals(backend).disposeData(t.dataId);
}

/**
 * Records one dispatch of `program`: bindings are the outputs (0 ..), then the
 * inputs, then the uniform buffer; `workgroups` is folded into a 2-D grid.
 */
export function launch(
    backend: WebGPUBackend, program: FusedProgram, outputs: TensorInfo[], inputs: TensorInfo[],
    uniforms: UniformScalar[], workgroups: number): void {
  const b = internals(backend);
  if (workgroups === 0) {
    return;
  }
  const tensors = [...outputs, ...inputs];
  tensors.forEach(t => b.uploadToGPU(t.dataId));
  const pipeline = pipelineFor(b, program);
  const resources: GPUBindingResource[] = tensors.map(t => b.tensorToBinding(t));
  resources.push(b.makeUniforms(uniforms.map(u => ({type: u.type, data: [...u.data]}))));
  const bindGroup = b.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: resources.map((resource, binding) => ({binding, resource})),
  });
  tensors.forEach(t => b.commandQueueOwnedIds.add(t.dataId));

  const [x, y] = gridFor(backend, workgroups);
  const timed = b.activeTimers != null;
  b.ensureCommandEncoderReady();
  const encoder = b.commandEncoder as GPUCommandEncoder;
  if (timed && b.supportTimestampQuery) {
    b.endComputePassEncoder();
    if (b.querySet == null) {
      b.querySet = b.device.createQuerySet({type: 'timestamp', count: b.querySetCount});
    }
    b.computePassEncoder = encoder.beginComputePass({
      timestampWrites: {querySet: b.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1},
    });
  } else if (b.computePassEncoder == null) {
    b.computePassEncoder = encoder.beginComputePass({});
  }
  const pass = b.computePassEncoder as GPUComputePassEncoder;
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(x, y, 1);
  b.dispatchCountInPass++;
  if (timed || (env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number) <= b.dispatchCountInPass) {
    b.endComputePassEncoder();
    if (timed && b.activeTimers != null) {
      b.activeTimers.push({name: program.key, query: b.getQueryTime()});
    } else {
      b.submitQueue();
    }
  }
}

/**
 * The output of an in-place kernel (aliasing rule: kernels/kernel_names.ts):
 * `t`'s own dataId with one more reference, as tfjs-backend-webgpu's reshape
 * shares a dataId. A copy of the old values that tfjs cached on the cpu side
 * (after a read-back) would now be stale: it is dropped, so the next read
 * downloads the buffer.
 */
export function aliasInPlace(backend: WebGPUBackend, t: TensorInfo): TensorInfo {
  (internals(backend).tensorMap.get(t.dataId) as {values?: unknown}).values = null;
  backend.incRef(t.dataId);
  return {dataId: t.dataId, shape: t.shape, dtype: t.dtype};
}

/** Whether the backend's device was created with the `subgroups` feature. */
export function deviceHasSubgroups(backend: WebGPUBackend): boolean {
  return internals(backend).device.features.has('subgroups');
}

/** The pipeline-cache keys of this package on `backend` (for tests and diagnostics). */
export function fusedPipelineKeys(backend: WebGPUBackend): string[] {
  return Object.keys(internals(backend).pipelineCache).filter(k => k.startsWith(PIPELINE_KEY_PREFIX));
}
