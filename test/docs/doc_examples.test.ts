/**
 * Every ```js example in the public docs runs: the JSDoc of src/ and the
 * README. Each block runs as written on the cpu backend (the WebGPU-in-Node
 * blocks on webgpu), with its imports bound to this package's source and
 * tfjs, so a renamed export, a wrong signature or a fragment that leans on
 * names it never defines fails here. A line `x.print();  // 0.2651, …` or
 * `// [0.4644, 0.0659]` also checks the printed values against the comment,
 * to the comment's number of decimals.
 */
import {readdirSync, readFileSync, statSync} from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as pkg from '../../src/index';
import {describeWebGPU} from '../../tools/webgpu/node_webgpu_env';
import {teardownWebGPU} from '../../tools/webgpu/harness';
import * as nodeWebGPU from '../../kernels/webgpu/node_webgpu';
// After the Node WebGPU globals (kernels/webgpu/node_webgpu), as the README's WebGPU block does.
import '@tensorflow/tfjs-backend-webgpu';

const ROOT = path.join(__dirname, '..', '..');

interface Block {
  /** file:line of the opening fence. */
  where: string;
  code: string;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The ```js / ```ts blocks of a Markdown text, or of a source file's comments (their ` * ` prefix removed). */
function blocksOf(file: string, jsdoc: boolean): Block[] {
  const lines = readFileSync(file, 'utf8').split('\n').map(l => jsdoc ? l.replace(/^\s*\* ?/, '') : l);
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (/^```(js|ts)\s*$/.test(lines[i])) {
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
      out.push({where: `${path.relative(ROOT, file)}:${start + 1}`, code: body.join('\n')});
    }
  }
  return out;
}

const PACKAGE = 'tfjs-fused-cross-entropy';
const MODULES: Record<string, Record<string, unknown>> = {
  [PACKAGE]: pkg as unknown as Record<string, unknown>,
  [`${PACKAGE}/node-webgpu`]: nodeWebGPU as unknown as Record<string, unknown>,
  '@tensorflow/tfjs': tf as unknown as Record<string, unknown>,
  '@tensorflow/tfjs-backend-webgpu': {},
};

/** The block with its imports removed (checked: known module, names it exports) and its print checks rewritten. */
function prepare(block: Block): {code: string, webgpu: boolean} {
  let webgpu = false;
  const lines = block.code.split('\n').map(line => {
    const imp = /^import\s+(?:(.+?)\s+from\s+)?'([^']+)';?\s*(\/\/.*)?$/.exec(line.trim());
    if (imp != null) {
      const [, clause, module] = imp;
      const exports = MODULES[module];
      if (exports == null) throw new Error(`${block.where}: imports '${module}', which the docs test does not know`);
      webgpu = webgpu || module.endsWith('webgpu');
      const named = /^\{(.*)\}$/.exec(clause ?? '');
      for (const name of named == null ? [] : named[1].split(',').map(s => s.trim()).filter(Boolean)) {
        if (!(name in exports)) throw new Error(`${block.where}: '${module}' exports no '${name}'`);
      }
      return '';
    }
    const printed = /^(\s*)(.+)\.print\(\);\s*\/\/\s*(\[[^\]]*\]|-?[0-9][0-9.e-]*)/.exec(line);
    if (printed != null) {
      const [, indent, expr, expected] = printed;
      return `${indent}await __expectPrinted(${expr}, ${JSON.stringify(expected)});`;
    }
    return line;
  });
  return {code: lines.join('\n'), webgpu};
}

/** Values of `t` against the numbers written in a comment, each to its own decimals. */
async function expectPrinted(t: tf.Tensor, expected: string): Promise<void> {
  const want = expected.replace(/[[\]]/g, '').split(',').map(s => s.trim());
  const got = Array.from(await t.data());
  expect(got).toHaveLength(want.length);
  want.forEach((w, i) => {
    const decimals = (w.split('.')[1] ?? '').replace(/e.*/, '').length;
    const tol = 0.51 * 10 ** -decimals;
    if (!(Math.abs(got[i] - Number(w)) <= tol)) {
      throw new Error(`printed ${got[i]} where the comment says ${w} (± ${tol.toPrecision(2)})`);
    }
  });
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<void>;

/** Runs a prepared block with tf and every export of the package (and of node-webgpu) in scope. */
async function run(code: string): Promise<void> {
  const scope: Record<string, unknown> = {...nodeWebGPU, ...pkg, tf, __expectPrinted: expectPrinted};
  const names = Object.keys(scope).filter(n => /^[A-Za-z_$][\w$]*$/.test(n));
  await new AsyncFunction(...names, code)(...names.map(n => scope[n]));
}

const blocks = [
  ...tsFiles(path.join(ROOT, 'src')).flatMap(f => blocksOf(f, true)),
  ...blocksOf(path.join(ROOT, 'README.md'), false),
];
const prepared = blocks.map(b => ({...b, ...prepare(b)}));

describe('doc examples', () => {
  test('found the blocks (src JSDoc and README)', () => {
    expect(prepared.filter(b => b.where.startsWith('src/')).length).toBeGreaterThanOrEqual(20);
    expect(prepared.filter(b => b.where.startsWith('README')).length).toBeGreaterThanOrEqual(3);
  });

  describe('cpu', () => {
    beforeAll(async () => {
      expect(await tf.setBackend('cpu')).toBe(true);
    });
    // A block may set a flag (src/flags.ts sets FUSED_CE_FORCE_COMPOSITE): the next one starts from the defaults.
    let flags: ReturnType<typeof tf.env>['flags'];
    beforeEach(() => {
      flags = {...tf.env().getFlags()};
      jest.spyOn(console, 'log').mockImplementation(() => {});
    });
    afterEach(() => {
      jest.restoreAllMocks();
      tf.env().setFlags(flags);
    });
    for (const b of prepared.filter(b => !b.webgpu)) {
      test(b.where, () => run(b.code), 60_000);
    }
  });
});

describeWebGPU('doc examples (WebGPU in Node)', () => {
  beforeEach(() => {
    jest.spyOn(console, 'log').mockImplementation(() => {});
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    teardownWebGPU();
    await tf.setBackend('cpu');
  });
  for (const b of prepared.filter(b => b.webgpu)) {
    test(b.where, async () => {
      await run(b.code);
      expect(tf.getBackend()).toBe('webgpu');
    }, 60_000);
  }
});
