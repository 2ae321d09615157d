/**
 * Rewrites the documented output in examples/README.md from fresh runs: each
 * block that starts `$ npx tsx examples/<name>.ts …` gets the lines the
 * command prints now (matched as in examples/lib/readme_outputs.ts). For when
 * a kernel change moves the numbers (they depend on every rounding of a
 * training run); read the diff before committing it.
 *
 *   npx tsx examples/update_readme_numbers.ts          # the --quick runs (a minute or two)
 *   npx tsx examples/update_readme_numbers.ts --full   # and the full runs (several minutes)
 */
import {execFileSync} from 'child_process';
import {readFileSync, writeFileSync} from 'fs';
import * as path from 'path';
import {documentedRuns, matchOutput} from './lib/readme_outputs';

const ROOT = path.join(__dirname, '..');
const README = path.join(__dirname, 'README.md');

function main(): void {
  const full = process.argv.includes('--full');
  const lines = readFileSync(README, 'utf8').split('\n');
  let changed = 0;
  for (const run of documentedRuns(README)) {
    if (!run.quick && !full) continue;
    console.log(`$ ${run.command}`);
    const stdout = execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [run.script, ...run.args],
                                {cwd: ROOT, encoding: 'utf8', maxBuffer: 16 << 20, stdio: ['ignore', 'pipe', 'inherit']});
    for (const m of matchOutput(run, stdout)) {
      if (m.printed == null) {
        console.log(`  README.md:${m.line}: no printed line like "${m.documented.trim()}" (left as it is)`);
      } else if (m.printed !== m.documented) {
        console.log(`  README.md:${m.line}: ${m.documented.trim()}\n  ${' '.repeat(String(m.line).length + 11)}→ ${m.printed.trim()}`);
        lines[m.line - 1] = m.printed;
        changed++;
      }
    }
  }
  writeFileSync(README, lines.join('\n'));
  console.log(`${changed} line(s) of examples/README.md rewritten`);
}

main();
