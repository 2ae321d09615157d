/**
 * The results tables are generated, never typed: every RESULTS.md under
 * benchmarks/results is what benchmarks/report.ts renders from the JSON
 * beside it, and README.md's generated sections are what
 * benchmarks/readme_tables.ts renders from the JSON. No measurement here
 * (reading and rendering only); after a benchmark run,
 * `npm run bench:regenerate` (or report.ts + readme_tables.ts) brings both
 * back in line.
 */
import * as fs from 'fs';
import * as path from 'path';
import {README, README_FOLDERS, sections, withSections} from '../../benchmarks/readme_tables';
import {LINEAR_CE_DIR, renderLinearCeMarkdown} from '../../benchmarks/linear_ce_report';
import {loadReports, renderMarkdown, RunInfo} from '../../benchmarks/report';

const RESULTS = path.join(__dirname, '..', '..', 'benchmarks', 'results');

describe('generated benchmark tables', () => {
  for (const sub of README_FOLDERS.filter(s => fs.existsSync(path.join(RESULTS, s)))) {
    const dir = path.join(RESULTS, sub);
    it(`${sub || 'benchmarks/results'}/RESULTS.md matches its JSON`, () => {
      const infoPath = path.join(dir, 'run-info.json');
      const info = fs.existsSync(infoPath) ? JSON.parse(fs.readFileSync(infoPath, 'utf8')) as RunInfo : null;
      const expected = renderMarkdown(loadReports(dir), info);
      expect(fs.readFileSync(path.join(dir, 'RESULTS.md'), 'utf8')).toBe(expected);
    });
  }

  it('linear-ce/RESULTS.md matches the linear-CE JSON (benchmarks/linear_ce_report.ts)', () => {
    expect(fs.readFileSync(path.join(RESULTS, LINEAR_CE_DIR, 'RESULTS.md'), 'utf8')).toBe(renderLinearCeMarkdown(RESULTS));
  });

  it('README.md\'s generated sections match benchmarks/results', () => {
    const text = fs.readFileSync(README, 'utf8');
    expect(withSections(text, sections())).toBe(text);
  });
});
