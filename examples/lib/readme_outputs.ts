/**
 * The printed output that examples/README.md documents, and its check. A
 * fenced block whose first line is `$ npx tsx examples/<name>.ts [args]` holds
 * lines that the command prints, in order (a subset: progress lines with
 * timings are left out). Each documented line is matched to the first printed
 * line after the previous match with the same text once its numbers are set
 * aside, and every number must agree to the decimals the README writes.
 * Used by test/examples/examples.test.ts (the check) and
 * examples/update_readme_numbers.ts (rewrites the blocks from fresh runs).
 */
import {readFileSync} from 'fs';

export interface DocumentedRun {
  /** The command as written after `$ `. */
  command: string;
  /** Script path relative to the repository root, and its arguments. */
  script: string;
  args: string[];
  quick: boolean;
  /** README line numbers (1-based) and texts of the documented output lines. */
  lines: Array<{line: number, text: string}>;
}

const NUMBER = /[-−]?\d+(?:\.\d+)?(?:e[-+]?\d+)?/g;

/** The numbers of a line, as written. */
export function numbersOf(line: string): string[] {
  return line.match(NUMBER) ?? [];
}

/** A line with its numbers replaced by `#` and runs of spaces by one. */
export function skeleton(line: string): string {
  return line.replace(NUMBER, '#').replace(/\s+/g, ' ').trim();
}

/** The documented runs of a README, in order. */
export function documentedRuns(readme: string): DocumentedRun[] {
  const lines = readFileSync(readme, 'utf8').split('\n');
  const runs: DocumentedRun[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```/.test(lines[i])) continue;
    const head = /^\$ (npx tsx (examples\/\S+\.ts)(.*))$/.exec(lines[i + 1] ?? '');
    let j = i + 1;
    while (j < lines.length && !/^```/.test(lines[j])) j++;
    if (head != null) {
      const args = head[3].trim().split(/\s+/).filter(Boolean);
      runs.push({
        command: head[1], script: head[2], args, quick: args.includes('--quick'),
        lines: lines.slice(i + 2, j).map((text, k) => ({line: i + 3 + k, text}))
          .filter(l => l.text.trim() !== '' && l.text.trim() !== '…'),
      });
    }
    i = j;
  }
  return runs;
}

/** Whether `got` agrees with the documented number `want` to want's decimals. */
function agrees(want: string, got: string): boolean {
  const w = Number(want.replace('−', '-')), g = Number(got.replace('−', '-'));
  const decimals = (want.split('.')[1] ?? '').replace(/e.*/, '').length;
  return Math.abs(g - w) <= 0.51 * 10 ** -decimals * (want.includes('e') ? Math.abs(w) : 1);
}

export interface LineMatch {
  line: number;
  documented: string;
  /** The printed line with the same skeleton, or null where none follows. */
  printed: string | null;
  ok: boolean;
}

/** Each documented line of `run` against the printed output. */
export function matchOutput(run: DocumentedRun, stdout: string): LineMatch[] {
  const printed = stdout.split('\n').map(l => l.trimEnd());
  let p = 0;
  return run.lines.map(({line, text}) => {
    const s = skeleton(text);
    const at = printed.findIndex((l, k) => k >= p && skeleton(l) === s);
    if (at < 0) return {line, documented: text, printed: null, ok: false};
    p = at + 1;
    const want = numbersOf(text), got = numbersOf(printed[at]);
    return {line, documented: text, printed: printed[at], ok: want.length === got.length && want.every((w, k) => agrees(w, got[k]))};
  });
}

/** A readable list of the documented lines the output contradicts (empty when all hold). */
export function mismatches(readme: string, run: DocumentedRun, stdout: string): string[] {
  return matchOutput(run, stdout).filter(m => !m.ok).map(m =>
    `${readme}:${m.line}: documents\n    ${m.documented.trim()}\n  ${m.printed == null ? 'but no such line was printed' : `but \`${run.command}\` printed\n    ${m.printed.trim()}`}`);
}
