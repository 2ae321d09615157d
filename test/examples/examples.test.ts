/**
 * Every example runs end to end in its --quick mode (a real process, real
 * training on the cpu backend), so they cannot rot. Checks what each one
 * promises: the tables it prints, numbers in range, and the invariants that
 * hold by construction (temperature scaling keeps accuracy; the diagrams are
 * written). About 30–60 s in all on 2 busy cores.
 *
 * The runs are deterministic (seeded splits and initial weights, fit without
 * shuffling), so examples/README.md documents what they print, and the same
 * runs check it: every number of a `$ npx tsx examples/… --quick` block, to
 * the decimals the README writes (examples/lib/readme_outputs.ts), the
 * trained weights' 17-digit fingerprints included: a change in the training
 * arithmetic that the 3–4 printed digits of a short run hide (and a long run
 * magnifies) fails here, which a check of the metrics alone misses. The full
 * runs it documents are checked with EXAMPLES_FULL=1 (several minutes); after
 * a change that moves the numbers, `npx tsx examples/update_readme_numbers.ts
 * [--full]` rewrites the blocks.
 */
import {execFile} from 'child_process';
import {existsSync, readFileSync, rmSync} from 'fs';
import * as path from 'path';
import {promisify} from 'util';
import {documentedRuns, mismatches} from '../../examples/lib/readme_outputs';

const ROOT = path.join(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/** Each command's output, run once: the README check below reuses the runs of the tests above it. */
const runs = new Map<string, Promise<string>>();

function runCommand(script: string, args: string[], timeout = 100_000): Promise<string> {
  const key = [script, ...args].join(' ');
  if (!runs.has(key)) {
    runs.set(key, promisify(execFile)(TSX, [script, ...args], {cwd: ROOT, timeout, maxBuffer: 16 << 20}).then(r => r.stdout));
  }
  return runs.get(key)!;
}

function runExample(name: string): Promise<string> {
  return runCommand(`examples/${name}.ts`, ['--quick']);
}

/** The cells of the table row that starts with `label` (two-space separated columns). */
function row(out: string, label: string): string[] {
  const line = out.split('\n').find(l => l.startsWith(label));
  if (line == null) throw new Error(`no row '${label}' in:\n${out}`);
  return line.slice(label.length).trim().split(/\s{2,}/);
}

const percent = (cell: string) => {
  const v = Number(cell.replace('%', ''));
  expect(v).toBeGreaterThanOrEqual(0);
  expect(v).toBeLessThanOrEqual(100);
  return v;
};

test('class_imbalance: recall per class for four losses; class weights lift the rare classes', async () => {
  const out = await runExample('class_imbalance');
  for (const w of ['drizzle', 'fog', 'rain', 'snow', 'sun']) {
    expect(row(out, `${w} (`).slice(1).map(percent)).toHaveLength(4);
  }
  const macro = row(out, 'macro-F1').map(Number);
  expect(macro.every(v => v >= 0 && v <= 1)).toBe(true);
  const rare = row(out, 'rare-class recall (mean)').map(percent);
  expect(rare[1]).toBeGreaterThan(rare[0]);  // CE + class weights vs plain CE (deterministic run)
}, 120_000);

test('calibration: temperature scaling keeps accuracy, reports ECE, writes SVG and PNG diagrams', async () => {
  const out = path.join(ROOT, 'examples', 'output');
  for (const f of ['calibration_reliability.svg', 'calibration_reliability.png']) rmSync(path.join(out, f), {force: true});
  const stdout = await runExample('calibration');
  const T = Number(/T = ([0-9.]+) \(/.exec(stdout)![1]);
  expect(T).toBeGreaterThan(0);
  const acc = row(stdout, 'accuracy').map(percent);
  expect(acc[0]).toBe(acc[1]);
  row(stdout, 'ECE (top-label)').map(percent);
  const [before, after] = row(stdout, 'NLL').map(Number);
  expect(before).toBeGreaterThan(0);
  expect(after).toBeGreaterThan(0);
  expect(readFileSync(path.join(out, 'calibration_reliability.svg'), 'utf8')).toMatch(/^<svg[\s\S]*ECE/);
  expect(Array.from(readFileSync(path.join(out, 'calibration_reliability.png')).subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
}, 120_000);

test('distillation: teacher, student alone and distilled student scored', async () => {
  const out = await runExample('distillation');
  for (const name of ['teacher (64-64)', 'student (4) alone', 'student (4) distilled']) {
    const cells = row(out, name);
    expect(Number(cells[0])).toBeGreaterThan(0);
    percent(cells[1]);
    percent(cells[4]);
  }
  expect(Number(row(out, 'teacher (64-64)')[0])).toBeGreaterThan(Number(row(out, 'student (4) alone')[0]));
}, 120_000);

test('ce_vs_hinge: both losses trained and scored (accuracy, NLL, ECE)', async () => {
  const out = await runExample('ce_vs_hinge');
  for (const arch of ['linear', 'MLP 16']) {
    for (const name of ['softmax cross-entropy', 'hinge (tf.losses.hingeLoss)']) {
      const cells = row(out, `${arch}, ${name}`);
      expect(percent(cells[0])).toBeGreaterThan(50);
      percent(cells[2]);
      percent(cells[4]);
    }
  }
}, 120_000);

const README = path.join(ROOT, 'examples', 'README.md');
const documented = documentedRuns(README);

describe('examples/README.md: the printed numbers it documents', () => {
  test('documents a --quick run of each example, and full runs', () => {
    const quick = documented.filter(r => r.quick).map(r => r.script).sort();
    expect(quick).toEqual(['calibration', 'ce_vs_hinge', 'class_imbalance', 'distillation'].map(n => `examples/${n}.ts`));
    expect(documented.filter(r => !r.quick).length).toBeGreaterThanOrEqual(4);
    for (const r of documented) expect(r.lines.length).toBeGreaterThanOrEqual(3);
  });
  const full = process.env.EXAMPLES_FULL === '1';
  // Full runs only when asked (no skipped test otherwise: they are not registered).
  for (const run of documented.filter(r => r.quick || full)) {
    test(`$ ${run.command}`, async () => {
      const stdout = await runCommand(run.script, run.args, run.quick ? 100_000 : 1_200_000);
      const wrong = mismatches('examples/README.md', run, stdout);
      if (wrong.length > 0) {
        throw new Error(`${wrong.length} documented line(s) no longer hold (npx tsx examples/update_readme_numbers.ts ` +
                        `${run.quick ? '' : '--full '}rewrites them):\n${wrong.join('\n')}`);
      }
    }, run.quick ? 120_000 : 1_300_000);
  }
});

test('examples/output is git-ignored except its .gitignore', () => {
  expect(existsSync(path.join(ROOT, 'examples', 'output', '.gitignore'))).toBe(true);
});
