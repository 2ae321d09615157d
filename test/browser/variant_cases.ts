/**
 * The case list of each variant, in run order. Shared by the page (which runs
 * them) and the jest side (which imports it in Node to name one test per
 * case at collection time).
 */
import {getKernel} from '@tensorflow/tfjs-core';

import {ALL_KERNEL_NAMES, FOCAL_KERNEL_NAMES} from '../../kernels/kernel_names';
import {FUSED_FOCAL_BACKENDS} from '../spec/focal_cross_entropy.spec';
import {allCases, caseName} from '../spec/index';
import type {SpecCase, SpecEnv} from '../spec/registry';

import {browserCases} from './browser_cases';
import {factoryCases} from './factory_cases';
import {wasmCases} from './wasm_cases';
import type {PagePlan, Variant} from '../../tools/browser/protocol';

/**
 * A fused variant's first case: the backend must really have our kernels, or
 * "fused" would be the composite (the focal ones where FUSED_FOCAL_BACKENDS lists it).
 */
function registrationCase(variant: Variant): SpecCase {
  return {
    suite: 'setup',
    name: `fused kernels are registered for ${variant.backend}`,
    fn: () => {
      const focal = FUSED_FOCAL_BACKENDS.includes(variant.backend) ? FOCAL_KERNEL_NAMES : [];
      const missing = [...ALL_KERNEL_NAMES, ...focal].filter(k => getKernel(k, variant.backend) == null);
      if (missing.length > 0) throw new Error(`not registered for ${variant.backend}: ${missing.join(', ')}`);
    },
  };
}

/** Spec cases also run on the factory-created backend (by name prefix): kept few, the page is slow. */
const FACTORY_SPEC_CASES = ['dense, sparse and sigmoid: forward and backward', 'softmaxCrossEntropyWithLogits: random shapes',
                            'sparseSoftmaxFocalCrossEntropyWithLogits: random shapes'];

/** Every case a variant runs, in order. */
export function variantCases(variant: Variant): SpecCase[] {
  const out: SpecCase[] = variant.composite ? [] : [registrationCase(variant)];
  for (const list of variant.lists) {
    // The higher-level APIs (seconds of shader compiles each) once per backend: on the 'webgl' variant
    // only; webgpu and wasm run them in Node (test/webgpu_node.test.ts, test/wasm.test.ts).
    if (list === 'spec') out.push(...allCases().filter(c => c.suite !== 'higher-level APIs' || variant.id === 'webgl'));
    else if (list === 'factory') out.push(...factoryCases(), ...allCases().filter(c => FACTORY_SPEC_CASES.some(n => c.name.startsWith(n))));
    else if (list === 'wasm simd' || list === 'wasm threaded') out.push(...wasmCases(list));
    else out.push(...browserCases(list));
  }
  return out.filter(c => !variant.exclude?.includes(c.suite) && !variant.exclude?.includes(caseName(c)));
}

/**
 * The SpecEnv a variant's cases run with: rtol 1e-5 on the GPU backends (float32 vs the float64
 * reference); on wasm 1e-6 where our SIMD kernels run (every suite, as in Node: test/wasm.test.ts)
 * and 2e-4 on the forced composite path (tfjs-wasm's float32 kernels).
 */
export function variantEnv(variant: Variant, plan: PagePlan): SpecEnv {
  let rtol = 1e-5;
  if (variant.backend === 'wasm') {
    const ours = (variant.lists.includes('wasm simd') || variant.lists.includes('wasm threaded')) && !variant.composite;
    rtol = ours ? 1e-6 : 2e-4;
  }
  return {backend: variant.backend, platform: 'browser', composite: variant.composite, rtol, float16: plan.float16};
}
