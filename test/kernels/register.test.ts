/**
 * Importing the package registers every kernel of the contract for cpu, webgl
 * and webgpu (and tfjs-node's `tensorflow`) and every gradient; registering
 * again (a second import, or a bundle holding two copies) warns about nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import {registerAllKernels} from '../../kernels/register_all';
import {ALL_KERNEL_NAMES, FOCAL_KERNEL_NAMES} from '../../kernels/kernel_names';
import {registerGradients} from '../../src/gradients/register_gradients';
import '../../src/index';

test('every kernel of the contract is registered for cpu, webgl and webgpu, the focal ones too', () => {
  for (const backend of ['cpu', 'webgl', 'webgpu']) {
    for (const name of ALL_KERNEL_NAMES) {
      expect([backend, name, tf.getKernel(name, backend) != null]).toEqual([backend, name, true]);
    }
  }
  for (const backend of ['cpu', 'webgl', 'webgpu']) {
    for (const name of FOCAL_KERNEL_NAMES) {
      expect([backend, name, tf.getKernel(name, backend) != null]).toEqual([backend, name, true]);
    }
  }
});

test('every forward kernel has a registered gradient', () => {
  const forward = [...ALL_KERNEL_NAMES, ...FOCAL_KERNEL_NAMES].filter(n => !n.endsWith('Grad'));
  for (const name of forward) {
    expect([name, tf.getGradient(name) != null]).toEqual([name, true]);
  }
});

test('registering again prints no "already registered" warning', () => {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    registerAllKernels();
    registerGradients();
    jest.isolateModules(() => {
      require('../../src/index');  // a second copy of the package
    });
    expect(warn.mock.calls.filter(c => String(c[0]).includes('already registered'))).toEqual([]);
  } finally {
    warn.mockRestore();
  }
});
