#!/bin/sh
# Studio GPU pack: swap the bundle's CPU torch for the CUDA build, when this machine has an NVIDIA GPU.
# Never runs by itself; needs the network once (the CUDA wheels are ~3 GB). Undo: --cpu.
#   studio-gpu-pack            detect, say what would change, ask before installing
#   studio-gpu-pack --yes      install without asking     --dry-run   only say     --cpu   back to CPU torch
set -eu
HERE="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
PY="$(ls "$HERE"/runtime/bin/python3.* | head -1)"
SITE="$(ls -d "$HERE"/runtime/lib/python3.*/site-packages | head -1)"
TORCH_VERSION="$(LD_LIBRARY_PATH="$HERE/runtime/lib" "$PY" -c 'import sys, importlib.metadata as m; print(next(m.distributions(name="torch", path=[sys.argv[1]])).version.split("+")[0])' "$SITE")"
INDEX="${STUDIO_TORCH_INDEX:-https://download.pytorch.org/whl/cu128}"
MODE="ask"
case "${1:-}" in --yes) MODE=yes ;; --dry-run) MODE=dry ;; --cpu) MODE=cpu ;; "") ;; *) echo "usage: $0 [--yes|--dry-run|--cpu]"; exit 2 ;; esac
if [ "$MODE" = cpu ]; then
  CMD="\"$PY\" -m pip install --target \"$SITE\" --upgrade --no-deps torch==$TORCH_VERSION"
  echo "Back to CPU torch: $CMD"; eval "$CMD"; exit 0
fi
GPU=""
if command -v nvidia-smi >/dev/null 2>&1; then GPU="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"; fi
[ -z "$GPU" ] && [ -r /proc/driver/nvidia/version ] && GPU="NVIDIA driver $(head -1 /proc/driver/nvidia/version | awk '{print $8}')"
if [ -z "$GPU" ]; then
  echo "No NVIDIA GPU found (no nvidia-smi, no /proc/driver/nvidia): Studio keeps running on the CPU. Nothing changed."
  exit 0
fi
CMD="LD_LIBRARY_PATH=\"$HERE/runtime/lib\" \"$PY\" -m pip install --target \"$SITE\" --upgrade torch==$TORCH_VERSION --index-url $INDEX"
echo "Found: $GPU. The GPU pack replaces the bundle's CPU torch $TORCH_VERSION with its CUDA build (~3 GB download):"
echo "  $CMD"
[ "$MODE" = dry ] && exit 0
if [ "$MODE" = ask ]; then printf "Install it now? [y/N] "; read -r answer; [ "$answer" = y ] || [ "$answer" = Y ] || exit 0; fi
eval "$CMD"
echo "Done: Studio picks the GPU by itself (Settings > Device: auto). To go back: $0 --cpu"
