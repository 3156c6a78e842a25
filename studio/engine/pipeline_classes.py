"""The concrete diffusers pipeline classes for a model family, imported one by one.

``from diffusers import AutoPipelineForText2Image`` imports every pipeline the
auto mapping knows (ControlNets, Kandinsky, PAG...): about a second on a small
CPU before the first picture. The families Studio runs are known from the
folder's ``model_index.json``, so the engine imports just their three classes
(text-to-image, image-to-image, inpainting) and keeps the Auto classes as the
fallback for anything else.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path

from studio.engine.request import Mode

_SD = "diffusers.pipelines.stable_diffusion"
_SDXL = "diffusers.pipelines.stable_diffusion_xl"


@dataclass(frozen=True)
class Family:
    """Module paths and class names of one family's three task pipelines."""

    txt2img: tuple[str, str]
    img2img: tuple[str, str]
    inpaint: tuple[str, str]

    def class_for(self, mode: Mode):
        module, name = {Mode.TXT2IMG: self.txt2img, Mode.IMG2IMG: self.img2img, Mode.INPAINT: self.inpaint}[mode]
        return getattr(importlib.import_module(module), name)


SD = Family(
    (f"{_SD}.pipeline_stable_diffusion", "StableDiffusionPipeline"),
    (f"{_SD}.pipeline_stable_diffusion_img2img", "StableDiffusionImg2ImgPipeline"),
    (f"{_SD}.pipeline_stable_diffusion_inpaint", "StableDiffusionInpaintPipeline"),
)
SDXL = Family(
    (f"{_SDXL}.pipeline_stable_diffusion_xl", "StableDiffusionXLPipeline"),
    (f"{_SDXL}.pipeline_stable_diffusion_xl_img2img", "StableDiffusionXLImg2ImgPipeline"),
    (f"{_SDXL}.pipeline_stable_diffusion_xl_inpaint", "StableDiffusionXLInpaintPipeline"),
)

# model_index.json "_class_name" -> family; a folder saved from any of a family's tasks loads as that family
_BY_CLASS_NAME = {
    "StableDiffusionPipeline": SD,
    "StableDiffusionImg2ImgPipeline": SD,
    "StableDiffusionInpaintPipeline": SD,
    "StableDiffusionXLPipeline": SDXL,
    "StableDiffusionXLImg2ImgPipeline": SDXL,
    "StableDiffusionXLInpaintPipeline": SDXL,
}


def family_of_folder(folder: str | Path) -> Family | None:
    """The family of a diffusers folder, read from its model_index.json (None if unknown or unreadable)."""
    try:
        index = json.loads((Path(folder) / "model_index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return _BY_CLASS_NAME.get(index.get("_class_name")) if isinstance(index, dict) else None


def family_of_pipeline(pipe) -> Family | None:
    """The family a loaded pipeline belongs to (None for classes outside the table)."""
    return _BY_CLASS_NAME.get(type(pipe).__name__)


def auto_class(mode: Mode):
    """diffusers' Auto pipeline for ``mode``: the fallback for families outside the table."""
    import diffusers

    name = {Mode.TXT2IMG: "AutoPipelineForText2Image", Mode.IMG2IMG: "AutoPipelineForImage2Image",
            Mode.INPAINT: "AutoPipelineForInpainting"}[mode]
    return getattr(diffusers, name)


def derive(base, mode: Mode):
    """A pipeline for ``mode`` sharing the modules (and dtype) of the loaded ``base`` pipeline."""
    family = family_of_pipeline(base)
    if family is None:
        return auto_class(mode).from_pipe(base)
    return family.class_for(mode).from_pipe(base, dtype=base.dtype)
