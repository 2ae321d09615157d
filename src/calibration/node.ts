/**
 * Node-only helpers of the calibration tools: reliability diagrams as PNG
 * (rasterised from the SVG of './diagram' by @resvg/resvg-js, with the
 * system's fonts) and written to files. Not imported by the browser-safe core.
 */
import {mkdirSync, writeFileSync} from 'node:fs';
import {dirname} from 'node:path';
import {Resvg} from '@resvg/resvg-js';
import {DiagramOptions, ReliabilityPanel, reliabilityDiagramSVG} from './diagram';

/** Rasterises an SVG string to PNG bytes at `scale` × its size (default 2, for crisp text). */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const resvg = new Resvg(svg, {fitTo: {mode: 'zoom', value: scale}, font: {loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans'}});
  return resvg.render().asPng();
}

/** Renders a reliability diagram to PNG bytes. */
export async function reliabilityDiagramPNG(panels: ReliabilityPanel[], options: DiagramOptions & {scale?: number} = {}): Promise<Uint8Array> {
  return svgToPng(await reliabilityDiagramSVG(panels, options), options.scale);
}

/**
 * Writes a reliability diagram to `path`: SVG when it ends in '.svg', PNG when
 * in '.png' (directories are created). Returns the path.
 */
export async function saveReliabilityDiagram(path: string, panels: ReliabilityPanel[], options: DiagramOptions & {scale?: number} = {}): Promise<string> {
  mkdirSync(dirname(path), {recursive: true});
  const svg = await reliabilityDiagramSVG(panels, options);
  if (path.endsWith('.svg')) {
    writeFileSync(path, svg);
  } else if (path.endsWith('.png')) {
    writeFileSync(path, svgToPng(svg, options.scale));
  } else {
    throw new Error(`saveReliabilityDiagram: path must end in .svg or .png, got ${path}`);
  }
  return path;
}
