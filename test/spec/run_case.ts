/** Runs one spec case on the active backend with the env's flags, restoring them after. */
import {setForceComposite} from '../../src/flags';
import type {SpecCase, SpecEnv} from './registry';

/** Whether the case applies to this env. */
export function applies(c: SpecCase, env: SpecEnv): boolean {
  return c.only == null || c.only(env);
}

export async function runCase(c: SpecCase, env: SpecEnv): Promise<void> {
  setForceComposite(env.composite);
  try {
    await c.fn(env);
  } finally {
    setForceComposite(false);
  }
}
