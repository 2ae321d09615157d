/** Kernel and flag registration shared by every backend's register_<backend>.ts and the ops. */
import {env, getKernel, KernelConfig, registerKernel} from '@tensorflow/tfjs-core';

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

/**
 * Registers the tf.env() flag `name` with its default unless it is already
 * registered: the flag registry is process-global, and a second copy of the
 * package (or a second call) must neither warn nor reset it.
 */
export function registerFlagOnce(name: string, defaultValue: () => boolean | number | string): void {
  const registered = (env() as unknown as {flagRegistry: Record<string, unknown>}).flagRegistry;
  if (registered[name] == null) {
    env().registerFlag(name, defaultValue);
  }
}
