#!/usr/bin/env bash
# Build Studio.app and a .dmg on macOS (Python 3.11, Xcode command line tools):  installers/macos/build.sh
# The bundle comes from installers/common/studio.spec (entry point, data, hidden imports from bundle.json).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VERSION="$(python3 -c 'import re,sys; print(re.search(r"^version = \"([^\"]+)\"", open(sys.argv[1]).read(), re.M)[1])' "$ROOT/pyproject.toml")"
NAME="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["name"])' "$ROOT/installers/common/bundle.json")"
TORCH="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["torch"])' "$ROOT/installers/common/bundle.json")"
python3 -m venv "$ROOT/build/macenv"
"$ROOT/build/macenv/bin/pip" install "$TORCH"
"$ROOT/build/macenv/bin/pip" install "$ROOT" pyinstaller
"$ROOT/build/macenv/bin/pyinstaller" --noconfirm --distpath "$ROOT/build/dist" "$ROOT/installers/common/studio.spec"
hdiutil create -volname "$NAME" -srcfolder "$ROOT/build/dist/$NAME.app" -ov -format UDZO \
  "$ROOT/build/dist/studio-$VERSION-macos.dmg"
