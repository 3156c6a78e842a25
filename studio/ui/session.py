"""The session as it was left: prompt, canvas image, its mask, mode, init image and mask settings.

Written at close under ``<data>/session/`` (PNG files plus ``session.json``, each
atomically) and put back at the next start, after the mask panel is attached.
The window layout (docks, the Mask dock included) stays in the settings file.
A missing or unreadable session is simply an empty one.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from studio import paths
from studio.engine.request import Mode
from studio.fsutil import atomic_write_bytes, atomic_write_text

VERSION = 1


def session_dir() -> Path:
    return paths.data_dir() / "session"


def _png(array: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(array)).save(buf, format="PNG")
    return buf.getvalue()


def _read_png(path: Path, grey: bool = False) -> np.ndarray | None:
    from PIL import Image

    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("L" if grey else "RGB"), dtype=np.uint8).copy()
    except (OSError, ValueError):
        return None


def save_session(window, folder: Path | None = None) -> None:
    """Write the window's session (called at close; errors are the caller's to report)."""
    from studio.ui.images import from_qimage

    folder = folder or session_dir()
    folder.mkdir(parents=True, exist_ok=True)
    prompt, negative = window.prompt_editor.text()
    state: dict = {"version": VERSION, "prompt": prompt, "negative_prompt": negative,
                   "mode": window.params.current_mode().value}
    files = {"canvas": None, "mask": None, "init": None}
    image = window.canvas.current_image()
    if image is not None:
        files["canvas"] = from_qimage(image)
        masking = window.masking
        if masking is not None:
            files["mask"] = masking.mask_of(image)
    init = window.params.init_image()
    if init is not None:
        files["init"] = init
    masking = window.masking
    if masking is not None:
        state["mask_look"] = masking.panel.look()
        state["brush_fraction"] = masking._brush_fraction
        state["painting"] = masking.panel.paint_button.isChecked()
    for name, array in files.items():
        path = folder / f"{name}.png"
        if array is None:
            path.unlink(missing_ok=True)
        else:
            atomic_write_bytes(path, _png(array))
        state[name] = array is not None
    atomic_write_text(folder / "session.json", json.dumps(state, indent=2, ensure_ascii=False))


def load_state(folder: Path | None = None) -> dict:
    folder = folder or session_dir()
    try:
        state = json.loads((folder / "session.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) and state.get("version") == VERSION else {}


def restore_prompt(window, state: dict) -> None:
    """The prompt (at construction, before a first-launch sample prompt would be set)."""
    if isinstance(state.get("prompt"), str) and (state["prompt"] or state.get("negative_prompt")):
        window.prompt_editor.set_text(state["prompt"], str(state.get("negative_prompt", "")))


def restore_session(window, state: dict, folder: Path | None = None) -> None:
    """Canvas image, its mask, init image, mode and mask settings (after the mask panel is attached)."""
    from studio.ui.images import to_qimage

    folder = folder or session_dir()
    masking = window.masking
    if masking is not None and isinstance(state.get("mask_look"), dict):
        masking.panel.set_look(state["mask_look"])
        if isinstance(state.get("brush_fraction"), float) and 0 < state["brush_fraction"] <= 1:
            masking._brush_fraction = state["brush_fraction"]
    canvas = _read_png(folder / "canvas.png") if state.get("canvas") else None
    if canvas is not None:
        image = to_qimage(canvas)
        mask = _read_png(folder / "mask.png", grey=True) if state.get("mask") else None
        if masking is not None and mask is not None and mask.shape == canvas.shape[:2]:
            masking.give_mask(image, mask)
        window.canvas.set_image(image, None, "Restore session")
        window.canvas.undo_stack.clear()  # the restored canvas is the start, not an undoable step
    init = _read_png(folder / "init.png") if state.get("init") else None
    if init is not None:
        window.params.set_init_image(init, to_qimage(init), switch_mode=False)
    try:
        mode = Mode(state.get("mode", Mode.TXT2IMG.value))
    except ValueError:
        mode = Mode.TXT2IMG
    if mode is not Mode.TXT2IMG and (init is not None or mode is Mode.INPAINT):
        window.params.set_mode(mode)
    if masking is not None and state.get("painting"):
        masking.set_painting(True)
