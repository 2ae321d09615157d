/**
 * Reliability diagrams (DeGroot & Fienberg 1983; Guo et al. 2017) as a
 * vega-lite spec and as an SVG string rendered headless by vega (no DOM, no
 * canvas: works in browsers, workers and Node). Kept out of the calibration
 * core because it imports vega and vega-lite (optional dependencies of this
 * package: install them to use this module). PNG files: './node'.
 *
 * Each panel: per bin a bar of the accuracy (empirical frequency), a red band
 * from accuracy to mean confidence (the calibration gap; above the diagonal =
 * overconfident), the diagonal of perfect calibration, and below it the
 * histogram of predictions per bin. Empty bins draw nothing.
 */

/** A vega-lite top-level spec (kept structural: vega-lite's own types are ESM-only). */
type TopLevelSpec = Record<string, unknown>;
import type {CalibrationResult} from './binning';

/** One panel of a diagram. */
export interface ReliabilityPanel {
  /** Panel title, e.g. 'before temperature scaling'. ECE and MCE are appended. */
  title: string;
  result: CalibrationResult;
}

export interface DiagramOptions {
  /** Overall title. */
  title?: string;
  /** Panel width / height of the reliability plot in px (default 260). */
  size?: number;
}

function panelSpec(panel: ReliabilityPanel, size: number): Record<string, unknown> {
  const values = panel.result.bins.filter(b => b.count > 0).map(b => ({
    lower: b.lower, upper: b.upper, count: b.count, accuracy: b.accuracy, confidence: b.confidence,
  }));
  const x = {field: 'lower', type: 'quantitative', scale: {domain: [0, 1], nice: false}, title: 'confidence'};
  const fmt = (v: number) => (100 * v).toFixed(2) + '%';
  return {
    title: {text: panel.title, subtitle: `ECE ${fmt(panel.result.ece)} · MCE ${fmt(panel.result.mce)} · accuracy ${fmt(panel.result.accuracy)} · n = ${panel.result.count}`},
    data: {values},
    vconcat: [
      {
        width: size, height: size,
        layer: [
          {mark: {type: 'bar', color: '#4c78a8', stroke: '#2b4a6f', strokeWidth: 0.5},
           encoding: {x, x2: {field: 'upper'}, y: {field: 'accuracy', type: 'quantitative', scale: {domain: [0, 1], nice: false}, title: 'accuracy'}, y2: {datum: 0}}},
          {mark: {type: 'bar', color: '#e45756', opacity: 0.45},
           encoding: {x, x2: {field: 'upper'}, y: {field: 'accuracy', type: 'quantitative'}, y2: {field: 'confidence'}}},
          {data: {values: [{a: 0, b: 0}, {a: 1, b: 1}]},
           mark: {type: 'line', color: '#555', strokeDash: [4, 3]},
           encoding: {x: {field: 'a', type: 'quantitative'}, y: {field: 'b', type: 'quantitative'}}},
        ],
      },
      {
        width: size, height: Math.round(size / 3),
        mark: {type: 'bar', color: '#9d9d9d'},
        encoding: {x, x2: {field: 'upper'}, y: {field: 'count', type: 'quantitative', title: 'count'}, y2: {datum: 0}},
      },
    ],
  };
}

/** The vega-lite spec of a diagram with one panel per entry, side by side. */
export function reliabilityDiagramSpec(panels: ReliabilityPanel[], options: DiagramOptions = {}): TopLevelSpec {
  if (panels.length === 0) {
    throw new Error('reliabilityDiagramSpec: need at least one panel');
  }
  const size = options.size ?? 260;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(options.title ? {title: options.title} : {}),
    background: 'white',
    padding: 12,
    hconcat: panels.map(p => panelSpec(p, size)),
    config: {font: 'DejaVu Sans, Liberation Sans, Helvetica, Arial, sans-serif', view: {stroke: '#ddd'}},
  } as unknown as TopLevelSpec;
}

/** Renders a diagram to an SVG string (headless vega, renderer 'none'). */
export async function reliabilityDiagramSVG(panels: ReliabilityPanel[], options: DiagramOptions = {}): Promise<string> {
  // Loaded on first use: vega and vega-lite are ES modules (vega-canvas uses a
  // top-level await), which a CommonJS caller can only reach through import().
  const [vega, {compile}] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(reliabilityDiagramSpec(panels, options) as unknown as Parameters<typeof compile>[0]).spec), {renderer: 'none'});
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
