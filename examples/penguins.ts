/**
 * The Palmer penguins data set (from the npm package `vega-datasets`, read from
 * node_modules: no network) as tensors, and the small classifier the demo and
 * the end-to-end test train on it.
 *
 * 342 complete rows (of 344; the 2 rows missing a measurement are dropped), 3
 * species. Features: the four measurements, standardised with the training
 * split's mean and standard deviation, and the island one-hot (7 in all).
 * A seeded shuffle splits 80 % / 20 % into train / test.
 */
import * as tf from '@tensorflow/tfjs';
import {readFileSync} from 'fs';
import * as path from 'path';
import {rng} from './lib/common';

export const SPECIES = ['Adelie', 'Chinstrap', 'Gentoo'] as const;
const ISLANDS = ['Biscoe', 'Dream', 'Torgersen'] as const;
const MEASUREMENTS = ['Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)'] as const;
export const NUM_FEATURES = MEASUREMENTS.length + ISLANDS.length;

type Row = Record<string, string | number | null>;

/** Where vega-datasets keeps penguins.json (its package exports hide data/, so resolve its entry point). */
export function penguinsPath(): string {
  return path.join(path.dirname(require.resolve('vega-datasets')), '..', 'data', 'penguins.json');
}

export interface PenguinSplit {
  /** [n, NUM_FEATURES] float32 features. */
  x: Float32Array;
  /** n species ids in [0, 3). */
  y: Int32Array;
  n: number;
}

/** Loads, cleans, shuffles (seeded) and splits the data; standardises with train statistics. */
export function loadPenguins(seed = 42, trainFraction = 0.8): {train: PenguinSplit, test: PenguinSplit} {
  const rows = (JSON.parse(readFileSync(penguinsPath(), 'utf8')) as Row[]).filter(r =>
    MEASUREMENTS.every(m => typeof r[m] === 'number') && SPECIES.includes(r.Species as typeof SPECIES[number]) &&
    ISLANDS.includes(r.Island as typeof ISLANDS[number]));
  const r = rng(seed);
  for (let i = rows.length - 1; i > 0; i--) {   // Fisher–Yates
    const j = Math.floor(r() * (i + 1));
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  const nTrain = Math.round(rows.length * trainFraction);
  const mean = MEASUREMENTS.map(m => rows.slice(0, nTrain).reduce((s, row) => s + (row[m] as number), 0) / nTrain);
  const std = MEASUREMENTS.map((m, k) => Math.sqrt(
      rows.slice(0, nTrain).reduce((s, row) => s + ((row[m] as number) - mean[k]) ** 2, 0) / nTrain));
  const encode = (part: Row[]): PenguinSplit => {
    const x = new Float32Array(part.length * NUM_FEATURES);
    const y = new Int32Array(part.length);
    part.forEach((row, i) => {
      MEASUREMENTS.forEach((m, k) => { x[i * NUM_FEATURES + k] = ((row[m] as number) - mean[k]) / std[k]; });
      x[i * NUM_FEATURES + MEASUREMENTS.length + ISLANDS.indexOf(row.Island as typeof ISLANDS[number])] = 1;
      y[i] = SPECIES.indexOf(row.Species as typeof SPECIES[number]);
    });
    return {x, y, n: part.length};
  };
  return {train: encode(rows.slice(0, nTrain)), test: encode(rows.slice(nTrain))};
}

/**
 * A 7 → 16 (relu) → 3 classifier with seeded initial weights. `softmax`
 * true ends in a softmax (probabilities, for tfjs's built-in loss), false in
 * plain logits (for `fromLogits: true`); the weights are the same either way.
 */
export function buildModel(softmax: boolean, seed = 7): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({inputShape: [NUM_FEATURES], units: 16, activation: 'relu',
                             kernelInitializer: tf.initializers.glorotUniform({seed})}));
  model.add(tf.layers.dense({units: SPECIES.length, activation: softmax ? 'softmax' : 'linear',
                             kernelInitializer: tf.initializers.glorotUniform({seed: seed + 1})}));
  return model;
}

/** Copies every weight of `from` into `to` (same architecture), so both start equal. */
export function copyWeights(from: tf.LayersModel, to: tf.LayersModel): void {
  const weights = from.getWeights();
  to.setWeights(weights);
}

/** Fraction of rows whose argmax prediction is the label. */
export async function accuracy(model: tf.LayersModel, split: PenguinSplit): Promise<number> {
  const pred = tf.tidy(() => (model.predict(tf.tensor2d(split.x, [split.n, NUM_FEATURES])) as tf.Tensor).argMax(-1));
  const ids = await pred.data();
  pred.dispose();
  let hits = 0;
  ids.forEach((v, i) => { hits += v === split.y[i] ? 1 : 0; });
  return hits / split.n;
}
