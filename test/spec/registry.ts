/**
 * A tiny, runner-independent spec registry. Every op spec registers its cases
 * here once; runners execute the same cases on every backend:
 *  - jest in Node: test/cpu.test.ts (fused and composite), test/webgpu_node.test.ts
 *  - headless Chromium: test/browser/ (webgl and webgpu), reported back to jest.
 *
 * Specs must not use jest globals: only `SpecEnv` and the helpers in assert.ts.
 */

/** What a case knows about where it runs. */
export interface SpecEnv {
  /** tfjs backend name the case runs on: 'cpu' | 'webgpu' | 'webgl' | 'wasm' | 'tensorflow'. */
  backend: string;
  /** Where: 'node' or 'browser'. */
  platform: 'node' | 'browser';
  /** True when the fused kernels are forced off (composite path). */
  composite: boolean;
  /** Relative tolerance vs the float64 reference: 1e-6 on cpu, 1e-5 on GPU backends. */
  rtol: number;
  /** True when tfjs uses float16 textures (WebGL on half-float devices). */
  float16?: boolean;
}

export type CaseFn = (env: SpecEnv) => Promise<void> | void;

export interface SpecCase {
  suite: string;
  name: string;
  fn: CaseFn;
  /** Only run where this returns true (e.g. cpu-only error messages). Say why in the name. */
  only?: (env: SpecEnv) => boolean;
  /** A slow case (e.g. 70000 rows); runners may give it a longer timeout. */
  slow?: boolean;
}

const cases: SpecCase[] = [];

/** Registers the cases of one suite. `it(name, fn, opts)` adds one case. */
export function defineSpec(
    suite: string,
    body: (it: (name: string, fn: CaseFn, opts?: {only?: (env: SpecEnv) => boolean, slow?: boolean}) => void) => void): void {
  body((name, fn, opts = {}) => {
    if (cases.some(c => c.suite === suite && c.name === name)) {
      throw new Error(`duplicate spec case "${suite} › ${name}"`);
    }
    cases.push({suite, name, fn, only: opts.only, slow: opts.slow});
  });
}

/** All registered cases, in registration order. */
export function allCases(): readonly SpecCase[] {
  return cases;
}

/** Full display name of a case, as runners report it. */
export function caseName(c: SpecCase): string {
  return `${c.suite} › ${c.name}`;
}
