#!/usr/bin/env bash
# Build the self-contained Linux bundle (.tar.gz and .deb) from this checkout.
#
# The bundle is a relocatable CPython runtime (the build machine's Python 3.11, its standard library and shared
# libpython) with Studio, CPU torch and every dependency installed into it, plus resources/ (the starter model,
# configs, icons) and a launcher. It needs no Python, pip or network on the target: bin/studio runs the pre-flight
# check for Qt's system libraries, then the app or the CLI. (Why not PyInstaller here: the runtime starts as
# fast as a venv install, with no unpack step or frozen-import quirks in diffusers/transformers lazy modules;
# PyInstaller builds the Windows and macOS bundles from installers/common/studio.spec.)
#
# Usage: installers/linux/build.sh [OUTDIR]   (default: build/linux). Needs python3.11 with venv, dpkg-deb.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$(mkdir -p "${1:-$SRC/build/linux}" && cd "${1:-$SRC/build/linux}" && pwd)"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null || PY=python3
# the version from pyproject.toml; app id, entry module and data folders from the spec all platforms share
read -r VERSION APP_ID ENTRY_MODULE BUNDLE_DATA <<<"$("$PY" - "$SRC" <<'PYEOF'
import json, re, sys, pathlib
src = pathlib.Path(sys.argv[1])
version = re.search(r'^version = "([^"]+)"', (src / "pyproject.toml").read_text(), re.M)[1]
bundle = json.loads((src / "installers/common/bundle.json").read_text())
print(version, bundle["app_id"], bundle["entry_module"], ",".join(bundle["data"]))
PYEOF
)"
ARCH=x86_64
NAME="studio-$VERSION-linux-$ARCH"
APP="$OUT/$NAME"
echo "building $NAME in $OUT"
rm -rf "$APP" "$OUT/deb"
mkdir -p "$APP/bin"

# 1. the runtime: the interpreter, libpython and the standard library (no site-packages, tests or IDLE)
BASE="$("$PY" -c 'import sys; print(sys.base_prefix)')"
PYVER="$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
mkdir -p "$APP/runtime/bin" "$APP/runtime/lib"
cp -L "$BASE/bin/python$PYVER" "$APP/runtime/bin/python$PYVER"
cp -a "$BASE/lib/libpython$PYVER"*.so* "$APP/runtime/lib/" 2>/dev/null || true
( cd "$BASE/lib" && tar cf - --exclude="python$PYVER/site-packages" --exclude="python$PYVER/test" \
    --exclude="python$PYVER/idlelib" --exclude="python$PYVER/tkinter" --exclude="python$PYVER/turtledemo" \
    --exclude='__pycache__' "python$PYVER" ) | tar xf - -C "$APP/runtime/lib"
SITE="$APP/runtime/lib/python$PYVER/site-packages"
mkdir -p "$SITE"

# 2. Studio and its dependencies, CPU torch first (a newer torch would pull the CUDA build)
BUILDENV="$OUT/buildenv"
[ -x "$BUILDENV/bin/pip" ] || "$PY" -m venv "$BUILDENV"
# one resolve for both: a second --target install would not see this torch and would fetch the newest (CUDA) one
TORCH_PIN="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["torch"])' "$SRC/installers/common/bundle.json")"
"$BUILDENV/bin/pip" install -q --disable-pip-version-check --target "$SITE" "$TORCH_PIN" "$SRC"
rm -rf "$SITE/bin"  # console scripts point at the build venv; the launcher replaces them
if ls "$SITE" | grep -q '^nvidia'; then echo "error: a CUDA torch got into the bundle" >&2; exit 1; fi

# 3. resources (starter model, configs, icons) beside the runtime; the launcher points Studio at them
mkdir -p "$APP/resources"
IFS=, read -ra DATA <<<"$BUNDLE_DATA"
for d in "${DATA[@]}"; do cp -a "$SRC/$d" "$APP/$d"; done

# 4. the launcher: the bundle's own interpreter, isolated from any Python on the machine
cat > "$APP/bin/studio" <<'LAUNCHER'
#!/bin/sh
# Studio launcher: runs the bundled Python runtime, whatever Python the machine has (or not).
HERE="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
export STUDIO_RESOURCES="${STUDIO_RESOURCES:-$HERE/resources}"
export LD_LIBRARY_PATH="$HERE/runtime/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PYTHONNOUSERSITE=1
unset PYTHONPATH PYTHONHOME
exec "$HERE/runtime/bin/python@PYVER@" -s -m @ENTRY@ "$@"
LAUNCHER
sed -i "s/@PYVER@/$PYVER/; s/@ENTRY@/$ENTRY_MODULE/" "$APP/bin/studio"
chmod 755 "$APP/bin/studio"
install -m 755 "$SRC/installers/linux/gpu-pack.sh" "$APP/bin/studio-gpu-pack"
"$APP/bin/studio" --version
# byte-compile once, so the first start does not (and a read-only /opt still starts fast)
LD_LIBRARY_PATH="$APP/runtime/lib" "$APP/runtime/bin/python$PYVER" -m compileall -q -j 2 "$APP/runtime/lib" >/dev/null || true

# 5. desktop integration files
SHARE="$APP/share"
mkdir -p "$SHARE/applications" "$SHARE/metainfo" "$SHARE/icons/hicolor/scalable/apps"
sed "s/@VERSION@/$VERSION/" "$SRC/installers/linux/$APP_ID.desktop" > "$SHARE/applications/$APP_ID.desktop"
sed "s/@VERSION@/$VERSION/; s/@DATE@/$(date -u +%Y-%m-%d)/" "$SRC/installers/linux/$APP_ID.metainfo.xml" \
    > "$SHARE/metainfo/$APP_ID.metainfo.xml"
cp "$SRC/resources/icons/app.svg" "$SHARE/icons/hicolor/scalable/apps/$APP_ID.svg"
if command -v rsvg-convert >/dev/null; then
  for s in 48 128 256; do
    mkdir -p "$SHARE/icons/hicolor/${s}x$s/apps"
    rsvg-convert -w "$s" -h "$s" "$SRC/resources/icons/app.svg" -o "$SHARE/icons/hicolor/${s}x$s/apps/$APP_ID.png"
  done
fi

# 6. the .tar.gz (unpack anywhere, run bin/studio)
tar -C "$OUT" -cf - "$NAME" | gzip -1 > "$OUT/$NAME.tar.gz"

# 7. the .deb: /opt/studio, /usr/bin/studio, desktop file, icons, metainfo; Qt's xcb libraries as dependencies
DEB="$OUT/deb"
mkdir -p "$DEB/DEBIAN" "$DEB/opt" "$DEB/usr/bin" "$DEB/usr/share"
cp -a "$APP" "$DEB/opt/studio"
mv "$DEB/opt/studio/share/"* "$DEB/usr/share/" && rmdir "$DEB/opt/studio/share"
ln -s /opt/studio/bin/studio "$DEB/usr/bin/studio"
SIZE_KB="$(du -sk "$DEB" | cut -f1)"
sed "s/@VERSION@/$VERSION/; s/@SIZE@/$SIZE_KB/" "$SRC/installers/linux/control" > "$DEB/DEBIAN/control"
dpkg-deb --root-owner-group -Zgzip -z1 --build "$DEB" "$OUT/studio_${VERSION}_amd64.deb" >/dev/null
rm -rf "$DEB"
du -sh "$APP" "$OUT/$NAME.tar.gz" "$OUT/studio_${VERSION}_amd64.deb"
