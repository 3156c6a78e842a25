"""Style-transfer metadata in the image file, and writing results to a folder.

A result PNG carries the usual two chunks: ``parameters`` (AUTOMATIC1111 layout:
the style keys and final losses as pairs, so ``studio info`` and other tools list
them) and ``studio`` (JSON with ``params.mode = "style"`` and a ``style`` object:
the style image hash, mode, network, weights, first and final losses).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from studio.engine.metadata import encode_image, format_a1111, read_metadata, studio_version
from studio.engine.style.settings import StyleResult
from studio.fsutil import atomic_write_bytes


def _rounded(losses: dict[str, float]) -> dict[str, float]:
    return {k: float(f"{v:.6g}") for k, v in losses.items()}


def style_record(result: StyleResult) -> dict[str, Any]:
    """The ``style`` object of the studio JSON."""
    s = result.settings
    return {
        "mode": s.mode,
        "network": result.network,
        "network_hash": result.network_hash,
        "style_hash": result.style_hash,
        "content_weight": s.content_weight,
        "style_weight": s.style_weight,
        "tv_weight": s.tv_weight,
        "steps": s.steps if s.mode == "exact" else 1,
        "optimizer": s.optimizer if s.mode == "exact" else None,
        "size": s.size,
        "work_size": list(result.work_size),
        "preserve_colors": s.preserve_colors,
        "masked": result.masked,
        "first_losses": _rounded(result.first_losses),
        "final_losses": _rounded(result.last_losses),
        "iterations": max(0, len(result.history) - 1),
    }


def studio_json(result: StyleResult) -> dict[str, Any]:
    record = style_record(result)
    return {
        "format": "studio",
        "format_version": 1,
        "version": studio_version(),
        # no steps or size here: "reuse parameters" on a style result must not change the generation settings
        "params": {"mode": "style", "prompt": "", "negative_prompt": ""},
        "model_name": result.network,
        "model_hash": result.network_hash,
        "elapsed": round(float(result.elapsed), 4),
        "extra": {},
        "style": record,
    }


def parameters_text(result: StyleResult) -> str:
    """AUTOMATIC1111-style text: no prompt, the style settings and final losses as pairs."""
    r = style_record(result)
    h, w = result.image.shape[:2]
    final = r["final_losses"]
    pairs = [
        ("Steps", r["steps"]),
        ("Iterations", r["iterations"]),
        ("Size", f"{w}x{h}"),
        ("Model hash", result.network_hash),
        ("Model", result.network),
        ("Style mode", r["mode"]),
        ("Style hash", r["style_hash"]),
        ("Content weight", r["content_weight"]),
        ("Style weight", r["style_weight"]),
        ("TV weight", r["tv_weight"] or None),
        ("Preserve colors", "true" if r["preserve_colors"] else None),
        ("Mask limited", "true" if r["masked"] else None),
        ("Content loss", final.get("content_loss")),
        ("Style loss", final.get("style_loss")),
        ("Total loss", final.get("total_loss")),
        ("Version", studio_version()),
    ]
    return format_a1111("", "", pairs)


def encode_png(result: StyleResult, content: np.ndarray | None = None, style: np.ndarray | None = None) -> bytes:
    """The result as PNG bytes with its metadata, sealed with provenance: the content image (when given)
    as the parent, the style image as a component."""
    from studio.engine.provenance.derived import seal_derived

    data = encode_image(result.image, "png", parameters_text(result), studio_json(result))
    sources = [None if a is None else encode_image(np.asarray(a, dtype=np.uint8)[..., :3], "png") for a in (content, style)]
    return seal_derived(data, "png", tool=f"style transfer ({result.settings.mode}, {result.network})",
                        title=f"{file_stem(result)}.png", parent=sources[0], parent_title="content image",
                        component=sources[1], component_title="style image")


def read_style(path: str | Path) -> dict[str, Any] | None:
    """The ``style`` object stored in an image file, or None for other images."""
    md = read_metadata(path)
    record = (md.studio or {}).get("style")
    return record if isinstance(record, dict) else None


def file_stem(result: StyleResult) -> str:
    return f"style-{result.settings.mode}-{result.style_hash}"


def save_to_folder(result: StyleResult, folder: Path, content: np.ndarray | None = None,
                   style: np.ndarray | None = None) -> Path:
    """Write the result as ``NNNNN-style-<mode>-<hash>.png`` (atomically) and return its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    numbers = [int(m.group(1)) for p in folder.glob("*.png") if (m := re.match(r"(\d{5})-", p.name))]
    path = folder / f"{max(numbers, default=-1) + 1:05d}-{file_stem(result)}.png"
    atomic_write_bytes(path, encode_png(result, content, style))
    return path
