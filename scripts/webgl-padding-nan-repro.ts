/**
 * Why a composite softmax cross-entropy gradient on tfjs-webgl could turn a
 * weight gradient NaN although every gradient entry is finite (the "broadcast
 * where/add turns valid rows NaN" puzzle of the Chromium linear-CE suite).
 * Usage: npx tsx scripts/webgl-padding-nan-repro.ts (headless Chromium, WebGL2 on SwiftShader).
 *
 * The cause, as this prints it: tfjs-webgl stores packed tensors in 2×2
 * texels, so a [13, 1] or [13, 11] tensor has padding lanes past row 13.
 * Packed elementwise programs compute on those lanes too (only RealDiv zeroes
 * them, its `checkOutOfBounds`): log(Σ exp) there is log(0), −88.03 on
 * SwiftShader (−∞ on IEEE GPUs), so p = exp(z − lse) is ≈1e38 or +∞ in the
 * padding (z there holds the bias the dense layer broadcast into it), and
 * W·p − y is NaN (0·∞). The values of G are all finite; but tfjs's packed
 * MatMul, summing over an odd shared dimension, multiplies the padding lanes
 * too: Gᵀ·h gets NaN·0 = NaN in every entry of an affected dW row, while G·W
 * (shared dimension C, whose padding is finite) is fine. An unpacked program
 * (`where`, tfjs's SelectProgram) drops the padding: the next packed consumer
 * packs its output again with zeros, which is why the earlier
 * `where(mask, NaN-fill, g)` form "worked" and a final broadcast `add` (packed)
 * did not. Neither the broadcast nor NaN handling in `where` is at fault.
 * A tfjs-webgl bug (padding lanes are not kept finite, yet MatMul reads them;
 * compare tensorflow/tfjs#6822, NaN written to padding lanes by Minimum/Maximum),
 * made visible by SwiftShader's finite log(0) only when z > 0.7 in the padding.
 * src/ops/composite.ts's logSumExpRows now ends in a `where`, so lse has zero
 * padding and exp(z − lse) stays finite there.
 */
import * as path from 'path';

import {runScript, withScriptPage} from './script-page';

async function main(): Promise<void> {
  await withScriptPage(path.join(__dirname, 'webgl-padding-nan-repro.page.ts'), async (page, open) => {
    await open();
    await page.waitForFunction(() => '__paddingRepro' in window);
    const lines = await page.evaluate(() => (window as unknown as {__paddingRepro(): Promise<string[]>}).__paddingRepro());
    console.log(lines.join('\n'));
  });
}

runScript(main);
