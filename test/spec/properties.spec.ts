/**
 * The property-based tests (properties.ts) as spec cases: one case per op,
 * each a fast-check run of PROPERTY_RUNS random cases against the float64
 * reference, on every backend the spec runs on.
 */
import {PROPERTIES} from './properties';
import {defineSpec} from './registry';

defineSpec('properties', it => {
  for (const p of PROPERTIES) {
    it(`${p.name}: random shapes, options, scales, masks and NaNs vs the float64 reference`, env => p.run(env));
  }
});
