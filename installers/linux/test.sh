#!/usr/bin/env bash
# Build the Linux bundle from a clean clone, install the .deb into a scratch root, and run the frozen CLI and
# window with no network (a network namespace without interfaces). Prints sizes and start-up figures.
# Usage: installers/linux/test.sh [WORKDIR]
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${1:-$(mktemp -d)}"
mkdir -p "$WORK"
echo "== clean clone of $(git -C "$SRC" rev-parse --short HEAD) in $WORK/src"
rm -rf "$WORK/src" && git clone -q "$SRC" "$WORK/src"
echo "== build"
start=$(date +%s)
bash "$WORK/src/installers/linux/build.sh" "$WORK/out"
echo "build took $(( $(date +%s) - start )) s"
DEB="$(ls "$WORK"/out/studio_*_amd64.deb)"
TAR="$(ls "$WORK"/out/studio-*-linux-x86_64.tar.gz)"
echo "== validate desktop files"
desktop-file-validate "$WORK/out/studio-"*"-linux-x86_64/share/applications/"*.desktop && echo "desktop-file-validate: clean"
appstreamcli validate --no-net --explain "$WORK/out/studio-"*"-linux-x86_64/share/metainfo/"*.metainfo.xml
dpkg-deb --info "$DEB" | sed -n '/Depends/p'
echo "== install the .deb into a scratch root"
ROOT="$WORK/root"
rm -rf "$ROOT" && dpkg-deb -x "$DEB" "$ROOT"
STUDIO="$ROOT/opt/studio/bin/studio"
ls -la "$ROOT/usr/bin/studio"
NONET="unshare -n"
$NONET true 2>/dev/null || { echo "no network namespaces here: running without"; NONET=""; }
export STUDIO_HOME="$WORK/home" QT_QPA_PLATFORM=offscreen
rm -rf "$STUDIO_HOME"
echo "== frozen studio generate, no network"
t0=$(date +%s.%N)
$NONET env -i PATH=/usr/bin:/bin HOME="$WORK" STUDIO_HOME="$STUDIO_HOME" "$STUDIO" generate \
  "a large red star on the left, blue background" --steps 20 --seed 7 --out "$WORK/images" --json
t1=$(date +%s.%N)
IMG="$(ls "$WORK"/images/*.png | head -1)"
$NONET env -i PATH=/usr/bin:/bin HOME="$WORK" STUDIO_HOME="$STUDIO_HOME" "$STUDIO" info "$IMG"
echo "== frozen window (offscreen), no network: shown -> engine ready -> closed"
$NONET env -i PATH=/usr/bin:/bin HOME="$WORK" STUDIO_HOME="$STUDIO_HOME" QT_QPA_PLATFORM=offscreen \
  STUDIO_BENCH_READY=1 "$STUDIO" | grep -E "STUDIO_(WINDOW_SHOWN|ENGINE_READY|WINDOW_CLOSING)"
echo "== the same from the venv install, for comparison"
t2=$(date +%s.%N)
( cd "$WORK/src" && "${VENV_PYTHON:-python3}" -m studio generate "a large red star on the left, blue background" --steps 20 --seed 7 \
  --out "$WORK/images-venv" >/dev/null 2>&1 ) && t3=$(date +%s.%N) || t3=""
echo "== figures"
du -sh "$ROOT/opt/studio" | awk '{print "unpacked bundle: " $1}'
ls -la "$TAR" "$DEB" | awk '{printf "%s %.0f MiB\n", $9, $5/1048576}'
python3 -c "import sys; a,b=map(float,sys.argv[1:3]); print(f'frozen CLI cold, one 20-step image: {b-a:.2f} s')" "$t0" "$t1"
[ -n "$t3" ] && python3 -c "import sys; a,b=map(float,sys.argv[1:3]); print(f'venv CLI cold, one 20-step image: {b-a:.2f} s')" "$t2" "$t3"
echo "installer test: OK"
