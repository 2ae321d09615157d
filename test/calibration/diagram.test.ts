/**
 * Reliability diagrams: the vega-lite spec carries the bins, the SVG (vega,
 * headless) draws one bar per non-empty bin, the PNG (resvg) is a real PNG of
 * the expected size.
 */
import {calibrationFromConfidences} from '../../src/calibration';
import {reliabilityDiagramSpec, reliabilityDiagramSVG} from '../../src/calibration/diagram';
import {reliabilityDiagramPNG} from '../../src/calibration/node';

const result = calibrationFromConfidences([0.95, 0.9, 0.72, 0.65, 0.41, 0.38], [1, 0, 1, 0, 1, 0], 10);

test('spec: one panel per entry, one datum per non-empty bin', () => {
  const spec = reliabilityDiagramSpec([{title: 'a', result}, {title: 'b', result}], {title: 'T'}) as unknown as {hconcat: Array<{data: {values: unknown[]}}>};
  expect(spec.hconcat).toHaveLength(2);
  expect(spec.hconcat[0].data.values).toHaveLength(result.bins.filter(b => b.count > 0).length);
  expect(() => reliabilityDiagramSpec([])).toThrow(/at least one panel/);
});

test('SVG: titles with ECE, accuracy bars per non-empty bin', async () => {
  const svg = await reliabilityDiagramSVG([{title: 'before scaling', result}]);
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg).toContain('before scaling');
  expect(svg).toContain(`ECE ${(100 * result.ece).toFixed(2)}%`);
  // vega marks bars as <path> inside groups of class "mark-rect"; count the first layer's rects.
  const groups = svg.match(/<g class="mark-rect role-mark[^"]*"[^>]*>(.*?)<\/g>/gs) ?? [];
  expect(groups.length).toBeGreaterThanOrEqual(3);  // accuracy, gap, counts
  const bars = (groups[0]!.match(/<path /g) ?? []).length;
  expect(bars).toBe(result.bins.filter(b => b.count > 0).length);
});

test('PNG: signature and size (2× the SVG)', async () => {
  const png = await reliabilityDiagramPNG([{title: 'x', result}], {scale: 2});
  expect(Array.from(png.slice(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset);
  const width = view.getUint32(16), height = view.getUint32(20);
  const svg = await reliabilityDiagramSVG([{title: 'x', result}]);
  const w = Number(/width="(\d+)"/.exec(svg)![1]), h = Number(/height="(\d+)"/.exec(svg)![1]);
  expect(width).toBe(2 * w);
  expect(height).toBe(2 * h);
});
