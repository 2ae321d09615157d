/**
 * The Seattle weather data set (npm `vega-datasets`, data/seattle-weather.csv):
 * 1461 days of 2012–2015, features precipitation, temp_max, temp_min, wind and
 * the season (day of year as sin/cos), label the weather: rain 641, sun 640,
 * fog 101, drizzle 53, snow 26 — three rare classes, used by the examples on
 * class imbalance, calibration, distillation and hinge loss.
 */
import {readFileSync} from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import {rng} from './common';

export const WEATHER = ['drizzle', 'fog', 'rain', 'snow', 'sun'] as const;
export const NUM_CLASSES = WEATHER.length;
export const NUM_FEATURES = 6;

/** The CSV path (vega-datasets' exports hide data/: resolve its entry point). */
export function seattleWeatherPath(): string {
  return path.join(path.dirname(require.resolve('vega-datasets')), '..', 'data', 'seattle-weather.csv');
}

export interface Split {
  x: Float32Array;
  /** Class ids into WEATHER. */
  y: Int32Array;
  n: number;
}

export interface WeatherData {
  train: Split;
  val: Split;
  test: Split;
}

/**
 * Loads, standardises (with training-set statistics) and splits the days into
 * train / validation / test, stratified per class with a seeded shuffle (the
 * rare classes land in every split in proportion).
 */
export function loadSeattleWeather(fractions: [number, number, number] = [0.6, 0.2, 0.2], seed = 7): WeatherData {
  const lines = readFileSync(seattleWeatherPath(), 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const col = (name: string) => header.indexOf(name);
  const rows = lines.slice(1).map(l => l.split(','));
  const feats: number[][] = [], labels: number[] = [];
  for (const r of rows) {
    const d = new Date(r[col('date')]);
    const day = (Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000;
    const angle = 2 * Math.PI * day / 365.25;
    feats.push([Math.log1p(Number(r[col('precipitation')])), Number(r[col('temp_max')]), Number(r[col('temp_min')]),
                Number(r[col('wind')]), Math.sin(angle), Math.cos(angle)]);
    const label = WEATHER.indexOf(r[col('weather')] as typeof WEATHER[number]);
    if (label < 0) throw new Error(`unknown weather '${r[col('weather')]}'`);
    labels.push(label);
  }
  // Stratified split.
  const next = rng(seed);
  const parts: number[][] = [[], [], []];
  for (let c = 0; c < NUM_CLASSES; c++) {
    const idx = labels.map((l, i) => (l === c ? i : -1)).filter(i => i >= 0);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    const a = Math.round(idx.length * fractions[0]), b = a + Math.round(idx.length * fractions[1]);
    parts[0].push(...idx.slice(0, a));
    parts[1].push(...idx.slice(a, b));
    parts[2].push(...idx.slice(b));
  }
  const trainIdx = parts[0];
  const mean = new Array(NUM_FEATURES).fill(0), std = new Array(NUM_FEATURES).fill(0);
  for (const i of trainIdx) feats[i].forEach((v, f) => (mean[f] += v / trainIdx.length));
  for (const i of trainIdx) feats[i].forEach((v, f) => (std[f] += (v - mean[f]) ** 2 / trainIdx.length));
  // Each split in a seeded random order: training runs fit with shuffle off,
  // so every run of an example gives the same numbers.
  const make = (idx: number[]): Split => {
    const order = idx.slice();
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const x = new Float32Array(order.length * NUM_FEATURES);
    order.forEach((i, k) => feats[i].forEach((v, f) => (x[k * NUM_FEATURES + f] = (v - mean[f]) / Math.sqrt(std[f] || 1))));
    return {x, y: Int32Array.from(order, i => labels[i]), n: order.length};
  };
  return {train: make(parts[0]), val: make(parts[1]), test: make(parts[2])};
}

/** Features as a [n, F] tensor. */
export function features(s: Split): tf.Tensor2D {
  return tf.tensor2d(s.x, [s.n, NUM_FEATURES]);
}

/** One-hot labels [n, C]. */
export function oneHotLabels(s: Split): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(s.y, 'int32'), NUM_CLASSES).toFloat() as tf.Tensor2D);
}

/** Class counts of a split. */
export function classCounts(s: Split): number[] {
  const counts = new Array(NUM_CLASSES).fill(0);
  for (const t of s.y) counts[t]++;
  return counts;
}
