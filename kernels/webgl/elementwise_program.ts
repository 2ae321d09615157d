/**
 * The shared frame of the elementwise [rows, C] programs (sigmoid
 * cross-entropy, binary focal, and the softmax and focal backward): the
 * GPGPUProgram header and the `main` that calls the program's own
 * `element(...)` once per output element.
 *
 * Layouts (see cross_entropy_glsl.ts): unpacked, one fragment per element;
 * packed (in and out, chosen when the logits arrive packed), one fragment per
 * 2x2 texel, which fetches each input once (a vec4 texel of a [rows, C]
 * input, the (row, row + 1) pair of a [rows] input, the (class, class + 1)
 * pair of a [C] input) and calls `element` four times. Everything here is
 * text pasted into `userCode`, so tfjs's shader key covers it; sizes stay
 * in uniforms (`enableShapeUniforms` and the program's custom uniforms).
 */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

type UniformType = NonNullable<GPGPUProgram['customUniforms']>[number]['type'];
export type CustomUniforms = Array<{name: string, type: UniformType}>;

export interface ElementwiseShape {
  rows: number;
  numClasses: number;
  /** Packed in and packed out (the logits came packed). */
  packed: boolean;
}

/**
 * Header of an elementwise program: output [rows, C] in the inputs' layout.
 * Subclasses set `userCode` in their constructor; their class name stays
 * part of tfjs's program key.
 */
export abstract class ElementwiseProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode = '';
  packedInputs: boolean;
  packedOutput: boolean;
  enableShapeUniforms = true;
  customUniforms: CustomUniforms;

  constructor(shape: ElementwiseShape, variableNames: string[], customUniforms: CustomUniforms) {
    this.variableNames = variableNames;
    this.outputShape = [shape.rows, shape.numClasses];
    this.packedInputs = shape.packed;
    this.packedOutput = shape.packed;
    this.customUniforms = customUniforms;
  }
}

/**
 * Unpacked `main`: (row, col) from the output coordinates, then `prelude`,
 * then `setOutput(element(args...))`.
 */
export function elementwiseMain(prelude: string, args: string[]): string {
  return `
      void main() {
        ivec2 rc = getOutputCoords();
        int row = rc.x;
        int col = rc.y;
        ${prelude}
        setOutput(element(${args.join(', ')}));
      }`;
}

/**
 * One argument of `element` in a packed fragment: its GLSL expression for the
 * element at (r + i, c + j) of the fragment's 2x2 texel (i, j in {0, 1}).
 */
export type PackedArg = (i: number, j: number) => string;

/** A vec4 texel of a [rows, C] input: components x, y, z, w are (0, 0), (0, 1), (1, 0), (1, 1). */
export const perElement = (v: string): PackedArg => (i, j) => `${v}.${'xyzw'[2 * i + j]}`;
/** A vec2 of per-row values: x for row r, y for row r + 1. */
export const perRow = (v: string): PackedArg => (i) => `${v}.${'xy'[i]}`;
/** A vec2 of per-class values: x for class c, y for class c + 1. */
export const perClass = (v: string): PackedArg => (_i, j) => `${v}.${'xy'[j]}`;

/**
 * Packed `main`: (r, c), the texel's first element, from the output
 * coordinates, then `prelude` (which fetches the inputs once), then one
 * `element(args...)` per element of the texel, written as one vec4.
 */
export function packedElementwiseMain(prelude: string, args: PackedArg[]): string {
  const call = (i: number, j: number) => `element(${args.map((a) => a(i, j)).join(', ')})`;
  return `
      void main() {
        ivec2 rc = getOutputCoords();
        int r = rc.x;
        int c = rc.y;
        ${prelude}
        setOutput(vec4(${call(0, 0)}, ${call(0, 1)},
                       ${call(1, 0)}, ${call(1, 1)}));
      }`;
}
