/**
 * The one generator of the WebGL programs' frame (softmax, focal, sigmoid and
 * binary focal): the GPGPUProgram header every program of this folder
 * extends, and the `main` of the elementwise [rows, C] programs in both
 * layouts, built from one description of `element(...)`'s arguments.
 *
 * Cache keys. tfjs-backend-webgl keys a compiled shader by the program's
 * class name, its `userCode` and the inputs' ranks and layouts: not by
 * `customUniforms`, nor by `packedInputs`/`packedOutput` as such. So
 * `GeneratedProgram.setBody` starts `userCode` with a line naming the
 * header's baked choices (layouts, inputs, uniforms): everything baked into
 * the shader is in its text, hence in the key. No size is: outputs and
 * inputs are sized through tfjs's shape uniforms (`enableShapeUniforms`)
 * and the programs' custom uniforms, so a new batch size or class count of
 * the same loop bound reuses the compiled shader.
 *
 * Elementwise layouts (cross_entropy_glsl.ts): unpacked, one fragment per
 * element; packed (in and out, chosen when the logits arrive packed), one
 * fragment per 2x2 texel, which fetches each input once (a vec4 texel of a
 * [rows, C] input, the (row, row + 1) pair of a [rows] input, the
 * (class, class + 1) pair of a [C] input) and calls `element` four times.
 */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {getterName, windowBounds} from './cross_entropy_glsl';

type UniformType = NonNullable<GPGPUProgram['customUniforms']>[number]['type'];
export type CustomUniforms = Array<{name: string, type: UniformType}>;

/** Custom uniforms from `{name: type}`, in the object's key order (the order of the host's values). */
export function uniforms(declared: Record<string, UniformType>): CustomUniforms {
  return Object.entries(declared).map(([name, type]) => ({name, type}));
}

/** What a program declares besides its GLSL body. */
export interface ProgramHeader {
  /** Input variable names, in the order the host passes the tensors. */
  inputs: string[];
  /** tfjs's output shape (the shader sees it only through shape uniforms). */
  outputShape: number[];
  /** Custom uniforms (values: the host's `runWebGLProgram` call, same order). */
  uniforms: CustomUniforms;
  /** Inputs as packed textures (default false). */
  packedInputs?: boolean;
  /** A packed output texture (default false). */
  packedOutput?: boolean;
}

/**
 * The header of every program here. Subclasses call `setBody` in their
 * constructor; their class name stays part of tfjs's key (and is what the
 * browser suite's launch checks look for).
 */
export abstract class GeneratedProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode = '';
  packedInputs: boolean;
  packedOutput: boolean;
  enableShapeUniforms = true;
  customUniforms: CustomUniforms;

  protected constructor(header: ProgramHeader) {
    this.variableNames = header.inputs;
    this.outputShape = header.outputShape;
    this.customUniforms = header.uniforms;
    this.packedInputs = header.packedInputs ?? false;
    this.packedOutput = header.packedOutput ?? false;
  }

  /** Sets `userCode`: the header's baked choices as a first comment line (see above), then `body`. */
  protected setBody(body: string): void {
    const layout = (packed: boolean) => (packed ? 'packed' : 'unpacked');
    this.userCode = `// ${layout(this.packedInputs)} in, ${layout(this.packedOutput)} out; ` +
        `inputs ${this.variableNames.join(' ')}; uniforms ${this.customUniforms.map(u => `${u.type} ${u.name}`).join(', ')}
${body}`;
  }
}

export interface ElementwiseShape {
  rows: number;
  numClasses: number;
  /** Packed in and packed out (the logits came packed). */
  packed: boolean;
}

/** Header of an elementwise program: output [rows, C] in the inputs' layout. */
export abstract class ElementwiseProgram extends GeneratedProgram {
  protected constructor(shape: ElementwiseShape, inputs: string[], uniforms: CustomUniforms) {
    super({
      inputs,
      outputShape: [shape.rows, shape.numClasses],
      uniforms,
      packedInputs: shape.packed,
      packedOutput: shape.packed,
    });
  }
}

/**
 * One argument of `element` in a packed fragment: its GLSL expression for the
 * element at (r + i, c + j) of the fragment's 2x2 texel (i, j in {0, 1}).
 */
export type PackedArg = (i: number, j: number) => string;

/**
 * One argument of an elementwise program's `element(...)`, in both layouts:
 * its expression (unpacked: `row`, `col` in scope; packed: per element of
 * the texel at (r, c)), after statements that fetch what it reads once per
 * fragment (pasted in argument order; the same statement once).
 */
export interface ElementArg {
  unpacked: string;
  packed: PackedArg;
  fetch?: {unpacked?: string, packed?: string};
}

/** A [rows, C] input: packed, its vec4 texel `v` (x, y, z, w = (0, 0), (0, 1), (1, 0), (1, 1)). */
export function elementInput(input: string, v: string): ElementArg {
  const get = getterName(input);
  return {unpacked: `${get}(row, col)`, packed: (i, j) => `${v}.${'xyzw'[2 * i + j]}`,
          fetch: {packed: `vec4 ${v} = ${get}(r, c);`}};
}

/** A [rows] input: packed, the vec2 `v` of rows (r, r + 1). */
export function rowInput(input: string, v: string): ElementArg {
  const get = getterName(input);
  return {unpacked: `${get}(row)`, packed: (i) => `${v}.${'xy'[i]}`, fetch: {packed: `vec2 ${v} = ${get}(r).xy;`}};
}

/**
 * A one-element input read as a scalar (its TensorInfo shaped []): the same
 * value for every element; packed, the texel's x, fetched once as `v`.
 */
export function scalarInput(input: string, v: string): ElementArg {
  const get = getterName(input);
  return {unpacked: `${get}()`, packed: () => v, fetch: {packed: `float ${v} = ${get}().x;`}};
}

/**
 * A per-class value: unpacked a float expression of `col`; packed a vec2
 * expression of `c` (classes c, c + 1), held in `v`.
 */
export function classValue(unpacked: string, packedVec2: string, v: string): ElementArg {
  return {unpacked, packed: (_i, j) => `${v}.${'xy'[j]}`, fetch: {packed: `vec2 ${v} = ${packedVec2};`}};
}

/** The same expression everywhere (a constant or a uniform). */
export function sameEverywhere(expr: string): ElementArg {
  return {unpacked: expr, packed: () => expr};
}

/** The element's class index (int). */
export const COLUMN: ElementArg = {unpacked: 'col', packed: (_i, j) => (j ? 'c + 1' : 'c')};

/**
 * `main` of an elementwise program calling its `element(args...)`: unpacked,
 * once for the fragment's (row, col); packed, once per element of the
 * fragment's 2x2 texel at (r, c), written as one vec4.
 */
export function elementwiseMain(packed: boolean, args: ElementArg[]): string {
  const fetches: string[] = [];
  for (const a of args) {
    const f = packed ? a.fetch?.packed : a.fetch?.unpacked;
    if (f != null && !fetches.includes(f)) fetches.push(f);
  }
  const call = (i: number, j: number) => `element(${args.map(a => a.packed(i, j)).join(', ')})`;
  const [rowVar, colVar, output] = !packed ? ['row', 'col', `element(${args.map(a => a.unpacked).join(', ')})`] :
      ['r', 'c', `vec4(${call(0, 0)}, ${call(0, 1)},
                       ${call(1, 0)}, ${call(1, 1)})`];
  return `
      void main() {
        ivec2 rc = getOutputCoords();
        int ${rowVar} = rc.x;
        int ${colVar} = rc.y;
        ${fetches.join('\n        ')}
        setOutput(${output});
      }`;
}

export interface WindowReductionMain {
  /**
   * The output holds one 2x2 texel per (row, window) (the packed stats
   * textures), else one value per (row, window).
   */
  texelPerWindow: boolean;
  /** The uniform (or expression) counting the elements of a row. */
  size: string;
  /** The accumulator's declaration, e.g. `float sum = 0.0;`. */
  accumulator: string;
  /** What is written: the accumulator, or NaN when `sawNaN` was set (`nan`). */
  result: string;
  /** Written instead of `result` once `sawNaN` is true; null: no NaN tracking. */
  nan: string | null;
  /** Statements after the window bounds (they may end `main` early). */
  setup?: string;
  /** The loop over the window (windowLoop, packedWindowLoop, linearChunkLoop). */
  loop: string;
}

/**
 * `main` of a staged row reduction: one fragment per (row, window of
 * `windowSize` elements), with `row`, `start` and `count` (windowBounds) in
 * scope for `setup` and `loop`, and `bool sawNaN` for the loop to set: GLSL
 * max/compare silently drop NaN, so the programs propagate it explicitly.
 */
export function windowReductionMain(cfg: WindowReductionMain): string {
  const div = cfg.texelPerWindow ? ' / 2' : '';
  return `
      void main() {
        ivec2 coords = getOutputCoords();
        int row = coords.x${div};
        ${windowBounds(`(coords.y${div})`, cfg.size)}
        ${cfg.setup ?? ''}
        ${cfg.accumulator}
        bool sawNaN = false;
        ${cfg.loop}
        setOutput(${cfg.nan == null ? cfg.result : `sawNaN ? ${cfg.nan} : ${cfg.result}`});
      }`;
}
