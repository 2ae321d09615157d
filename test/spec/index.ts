/** Imports every op spec (each registers its cases in registry.ts). */
import './softmax_cross_entropy.spec';
import './sparse_softmax_cross_entropy.spec';
import './sigmoid_cross_entropy.spec';
import './focal_cross_entropy.spec';
import './bad_input.spec';
import './fused_reductions.spec';
import './precision.spec';
import './properties.spec';
import './fused_kernels_ran.spec';
import './high_level.spec';

export {allCases, caseName} from './registry';
export type {SpecCase, SpecEnv} from './registry';
