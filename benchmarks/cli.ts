/**
 * Command-line flags shared by `run.ts`, the per-kernel scripts, the worker
 * and the real-GPU bundle: USAGE below (`npm run bench -- --help`).
 */
import {DEFAULT_RUN_OPTIONS, Mode, MODES, PROVIDER_IDS, ProviderId, RunOptions, parseShape} from './harness';

export const USAGE = `npm run bench -- [flags]   (or npx tsx benchmarks/<suite>.bench.ts [flags])

  --backends cpu,webgpu,wasm,tensorflow,chromium-webgl,chromium-webgpu
                      (default: every one available here)
  --suites softmax-ce,sparse-softmax-ce,sigmoid-ce,large-vocab-sparse-ce
                      (opt-in: focal-softmax-ce, sparse-focal-softmax-ce, binary-focal-ce,
                      sigmoid-ce-mean, binary-ce-class; the models of train_models.ts:
                      train-mlp, train-lm-head, train-multilabel)
  --providers fused,composite,tf.losses,tfjs-layers
  --modes forward,forward+backward,pipelined,train,train-pipelined
                      (pipelined: K forward+backward steps, one read-back; planned
                      beside forward+backward on webgpu and webgl by default;
                      train-pipelined: K training steps, one read-back)
  --pipeline-steps K  steps of the pipelined modes (default ${DEFAULT_RUN_OPTIONS.pipelineSteps}; 0: off)
  --short             quick settings for regenerating every file: --min-reps 3
                      --max-reps 15 --budget-ms 1500 --pipeline-steps 4 (fast cells
                      get up to 15 repetitions, slow ones 3)
  --full              the sweep 4096×10 … 1024×32000 (GPUs: … 8192×32000)
  --shapes 64x1000,…  replace every suite's shapes
  --extra-shapes …    add shapes to every suite
  --min-reps N        timed rounds at least (default ${DEFAULT_RUN_OPTIONS.minReps})
  --max-reps N        timed rounds at most (default ${DEFAULT_RUN_OPTIONS.maxReps})
  --budget-ms MS      timed rounds go on until MS per provider are spent (default ${DEFAULT_RUN_OPTIONS.budgetMs})
  --min-run-ms MS     a timed run repeats the call until MS have passed; times per step
                      (default ${DEFAULT_RUN_OPTIONS.minRunMs}; 0: one call per run)
  --warmup N          untimed runs after the first (at least 1: it carries the memory tracker; default ${DEFAULT_RUN_OPTIONS.warmup})
  --results DIR       where JSON goes (default benchmarks/results)
  --out FILE          worker only: the JSON file
  --no-report         do not rebuild RESULTS.md and the chart
  --help              this text

The providers of one (suite, shape, mode) are measured side by side: each is
prepared (first run, warm-ups), then the timed runs go round-robin, one run per
provider per round, the first provider rotating (benchmarks/harness.ts).`;

export interface Args {
  backends: string[];
  suites: string[];
  run: Omit<RunOptions, 'backend'>;
  resultsDir: string;
  out?: string;
  report: boolean;
  /** --help: print USAGE, run nothing. */
  help?: boolean;
}

function list(v: string): string[] {
  return v.split(',').map(x => x.trim()).filter(Boolean);
}

export function parseArgs(argv: string[]): Args {
  const args: Args = {backends: [], suites: [], run: {...DEFAULT_RUN_OPTIONS}, resultsDir: 'benchmarks/results', report: true};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v == null) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = () => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a non-negative integer`);
      return n;
    };
    switch (flag) {
      case '--backends': case '--backend': args.backends = list(value()); break;
      case '--suites': case '--suite': args.suites = list(value()); break;
      case '--providers': {
        const ps = list(value());
        for (const p of ps) if (!PROVIDER_IDS.includes(p as ProviderId)) throw new Error(`unknown provider ${p}`);
        args.run.providers = ps as ProviderId[];
        break;
      }
      case '--modes': {
        const ms = list(value());
        for (const m of ms) if (!MODES.includes(m as Mode)) throw new Error(`unknown mode ${m}`);
        args.run.modes = ms as Mode[];
        break;
      }
      case '--full': args.run.full = true; break;
      case '--shapes': args.run.onlyShapes = list(value()).map(parseShape); break;
      case '--extra-shapes': args.run.extraShapes = list(value()).map(parseShape); break;
      case '--min-reps': args.run.minReps = Math.max(1, int()); break;
      case '--max-reps': args.run.maxReps = Math.max(1, int()); break;
      case '--budget-ms': args.run.budgetMs = int(); break;
      case '--warmup': args.run.warmup = int(); break;
      case '--min-run-ms': args.run.minRunMs = int(); break;
      case '--pipeline-steps': args.run.pipelineSteps = int(); break;
      case '--short': Object.assign(args.run, {minReps: 3, maxReps: 15, budgetMs: 1500, pipelineSteps: 4}); break;
      case '--results': args.resultsDir = value(); break;
      case '--out': args.out = value(); break;
      case '--no-report': args.report = false; break;
      case '--help': case '-h': args.help = true; break;
      default: throw new Error(`unknown flag ${flag} (see benchmarks/cli.ts)`);
    }
  }
  if (args.run.maxReps < args.run.minReps) args.run.maxReps = args.run.minReps;
  return args;
}

/** Back to flags, for child processes and the browser page. */
export function toArgv(a: Args, backend: string): string[] {
  const out = ['--backend', backend, '--results', a.resultsDir,
    '--min-reps', String(a.run.minReps), '--max-reps', String(a.run.maxReps),
    '--budget-ms', String(a.run.budgetMs), '--warmup', String(a.run.warmup),
    '--pipeline-steps', String(a.run.pipelineSteps), '--min-run-ms', String(a.run.minRunMs)];
  if (a.suites.length) out.push('--suites', a.suites.join(','));
  if (a.run.providers.length) out.push('--providers', a.run.providers.join(','));
  if (a.run.modes.length) out.push('--modes', a.run.modes.join(','));
  if (a.run.full) out.push('--full');
  const sh = (xs: {rows: number, classes: number}[]) => xs.map(s => `${s.rows}x${s.classes}`).join(',');
  if (a.run.onlyShapes.length) out.push('--shapes', sh(a.run.onlyShapes));
  if (a.run.extraShapes.length) out.push('--extra-shapes', sh(a.run.extraShapes));
  return out;
}
