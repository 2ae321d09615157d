/** Kernel registration shared by every backend's register_<backend>.ts. */
import {getKernel, KernelConfig, registerKernel} from '@tensorflow/tfjs-core';

/**
 * Registers each config not registered yet: importing the package twice (or
 * calling a register function again) prints no "already registered" warnings.
 */
export function registerKernelsOnce(configs: readonly KernelConfig[]): void {
  for (const config of configs) {
    if (getKernel(config.kernelName, config.backendName) == null) {
      registerKernel(config);
    }
  }
}
