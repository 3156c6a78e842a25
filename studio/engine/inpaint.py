"""The inpainting procedure around one diffusers inpaint call.

The Engine (``studio.engine.generator``) calls :func:`inpaint_image` for a request
whose mode is ``Mode.INPAINT``, with a ``run`` closure that runs the model's
diffusers inpaint pipeline (``StableDiffusionInpaintPipeline.from_pipe(base)``; it
handles both 4-channel UNets, by latent blending, and 9-channel inpainting
UNets) and returns the decoded ``HxWx3`` uint8 image.

What happens here, in order:

1. Feather the mask (:func:`studio.engine.masks.feather`): alpha 255 on the
   painted pixels, ramping to exactly 0 within ``mask_blur`` pixels outside.
2. Pick the region to generate: the whole picture (padded with edge pixels to a
   multiple of 8), or, for "only masked", the feathered mask's bounding box plus
   ``inpaint_padding``, grown to the model's aspect ratio, clamped to the image and
   scaled to the model's resolution.
3. Give the model a mask snapped outward to the 8-pixel latent grid plus one
   cell, so the whole soft edge lies in repainted latents (no blocky seam).
4. "Fresh noise" masked content: the masked pixels are replaced by noise around
   the surrounding colour and the model runs at strength 1.0.
5. Scale the result back, shift its colours by the mean difference measured on a
   band of kept pixels around the mask (the VAE's colour drift), and composite it
   over the original with the feathered alpha in integer maths: every pixel whose
   alpha is 0 is bit-identical to ``request.init_image``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

from studio.engine import masks as M
from studio.engine.errors import InvalidRequest
from studio.engine.request import GenerationRequest, InpaintArea, MaskedContent

RunFn = Callable[..., np.ndarray]
LATENT_CELL = 8
COLOUR_BAND = 16  # px of kept pixels around the repainted area used to measure colour drift
MAX_COLOUR_SHIFT = 48.0

__all__ = ["InpaintPlan", "inpaint_image", "plan_inpaint", "preview_box"]


class InpaintPlan:
    """Geometry of one inpaint: computed before the model runs (so the UI can place previews)."""

    def __init__(self, request: GenerationRequest, native_size: tuple[int, int]):
        image, mask = request.init_image, request.mask
        if image is None or mask is None:
            raise InvalidRequest("Inpainting needs an init image and a mask.")
        h, w = mask.shape
        self.image_size = (w, h)
        self.alpha = M.feather(mask, request.mask_blur)
        support = M.bbox(self.alpha)
        if support is None:
            raise InvalidRequest("The mask is empty: paint the area to repaint first.")
        self.support_box = support
        if request.inpaint_area is InpaintArea.ONLY_MASKED:
            nw, nh = native_size
            if request.inpaint_box is not None:  # the user's box (dragged on the canvas), inside the image
                bx0, by0, bx1, by1 = request.inpaint_box
                bx0, by0, bx1, by1 = min(bx0, w - 1), min(by0, h - 1), min(bx1, w), min(by1, h)
                self.box = (bx0, by0, max(bx1, bx0 + 1), max(by1, by0 + 1))
                outside = np.ones((h, w), bool)
                outside[self.box[1] : self.box[3], self.box[0] : self.box[2]] = False
                self.alpha = np.where(outside, 0, self.alpha).astype(self.alpha.dtype)  # nothing changes outside it
                if M.bbox(self.alpha) is None:
                    raise InvalidRequest("The inpaint box holds none of the mask: move it over the masked area.")
            else:
                self.box = M.crop_box(support, int(request.inpaint_padding), (w, h), nw / nh)
            bw, bh = self.box[2] - self.box[0], self.box[3] - self.box[1]
            self.gen_size = M.generation_size((bw, bh), (nw, nh), LATENT_CELL)
        else:
            self.box = (0, 0, w, h)
            self.gen_size = (-(-w // LATENT_CELL) * LATENT_CELL, -(-h // LATENT_CELL) * LATENT_CELL)

    @property
    def box_size(self) -> tuple[int, int]:
        return (self.box[2] - self.box[0], self.box[3] - self.box[1])

    @property
    def resized(self) -> bool:
        return self.gen_size != self.box_size

    def preview_box(self) -> tuple[int, int, int, int]:
        """Where (in image pixels) the generated frame lands; previews cover this box."""
        if self.resized:
            return self.box
        x0, y0, _, _ = self.box
        return (x0, y0, x0 + self.gen_size[0], y0 + self.gen_size[1])

    # -- frame conversions ----------------------------------------------------------

    def to_gen(self, arr: np.ndarray, *, is_mask: bool = False) -> np.ndarray:
        """Crop ``arr`` (image frame) to the box and bring it to the generation frame."""
        x0, y0, x1, y1 = self.box
        crop = arr[y0:y1, x0:x1]
        gw, gh = self.gen_size
        if not self.resized:
            if crop.shape[1] == gw and crop.shape[0] == gh:
                return np.ascontiguousarray(crop)
            pad_y, pad_x = gh - crop.shape[0], gw - crop.shape[1]  # whole picture, odd size
            pads = ((0, pad_y), (0, pad_x)) + (((0, 0),) if crop.ndim == 3 else ())
            return np.pad(crop, pads, mode="edge")
        img = Image.fromarray(np.ascontiguousarray(crop))
        return np.asarray(img.resize((gw, gh), Image.BILINEAR if is_mask else Image.LANCZOS))

    def from_gen(self, arr: np.ndarray) -> np.ndarray:
        """Bring a generated frame back to the box (crop frame)."""
        bw, bh = self.box_size
        if not self.resized:
            return np.ascontiguousarray(arr[:bh, :bw])
        return np.asarray(Image.fromarray(np.ascontiguousarray(arr)).resize((bw, bh), Image.LANCZOS))


def plan_inpaint(request: GenerationRequest, native_size: tuple[int, int]) -> InpaintPlan:
    return InpaintPlan(request, native_size)


def _accepts_strength(run: RunFn) -> bool:
    try:
        params = inspect.signature(run).parameters
    except (TypeError, ValueError):
        return False
    return "strength" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def _noise_fill(image: np.ndarray, model_mask: np.ndarray, seed: int) -> np.ndarray:
    """Replace the masked pixels by noise around the mean colour of their surroundings."""
    on = model_mask > 0
    ring = (M.grow(model_mask, COLOUR_BAND) > 0) & ~on
    base = image[ring].mean(axis=0) if ring.any() else np.full(3, 127.0)
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    # Low-frequency colour noise (blobs about a latent cell wide) plus fine grain: a fresh
    # start that still works when the model runs at a strength below 1.
    coarse = rng.normal(0.0, 56.0, (max(1, h // LATENT_CELL), max(1, w // LATENT_CELL), 3))
    coarse_img = Image.fromarray(np.clip(coarse + 128.0, 0, 255).astype(np.uint8)).resize((w, h), Image.BILINEAR)
    noise = np.asarray(coarse_img).astype(np.float64) - 128.0 + rng.normal(0.0, 16.0, image.shape) + base
    out = image.copy()
    out[on] = np.clip(noise[on], 0, 255).astype(np.uint8)
    return out


def _colour_offset(original: np.ndarray, generated: np.ndarray, repainted: np.ndarray) -> np.ndarray:
    """Mean colour drift of the model's output on kept pixels just outside the repainted area."""
    band = (M.grow(repainted, COLOUR_BAND) > 0) & ~(repainted > 0)
    if band.sum() < 16:
        return np.zeros(3)
    diff = original[band].astype(np.float64) - generated[band].astype(np.float64)
    return np.clip(diff.mean(axis=0), -MAX_COLOUR_SHIFT, MAX_COLOUR_SHIFT)


def inpaint_image(
    run: RunFn,
    request: GenerationRequest,
    seed: int,
    *,
    native_size: tuple[int, int],
    unet_in_channels: int,
    on_crop: Callable[[tuple[int, int, int, int], tuple[int, int]], None] | None = None,
    colour_match: bool = True,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Inpaint ``request.init_image`` under ``request.mask`` with ``run`` and composite the result.

    ``run(image: PIL.Image, mask: PIL.Image, width, height, *, strength=None) -> HxWx3 uint8``
    runs the diffusers inpaint pipeline at ``width`` x ``height`` (multiples of 8) on
    the given image and binary mask (white = repaint) and returns the decoded image at
    that size. ``strength`` (when ``run`` accepts it) overrides the request's: 1.0 is
    passed for "fresh noise" masked content.

    ``on_crop(box, gen_size)`` is called before ``run`` with the image-pixel box the
    generated frame covers and the generation size, so previews (at latent
    resolution of the generated frame) can be drawn in place over the original.

    Returns ``(image, extra)``: the composited HxWx3 uint8 at the init image's size,
    and a dict for ``GeneratedImage.extra`` with ``mask`` (the request's mask, to save
    beside the image), ``alpha`` (the feathered compositing mask), ``crop_box``,
    ``gen_size`` and ``inpaint`` (mode, padding, blur, strength, masked content and
    which UNet path ran).
    """
    original = request.init_image
    plan = InpaintPlan(request, native_size)
    gw, gh = plan.gen_size

    # The model's mask: the feathered support in the generation frame, one latent cell
    # wider, snapped outward to whole latent cells (diffusers samples one pixel per cell).
    support_gen = plan.to_gen(np.where(plan.alpha > 0, 255, 0).astype(np.uint8), is_mask=True)
    model_mask = M.snap_to_grid(M.grow(np.where(support_gen > 0, 255, 0).astype(np.uint8), LATENT_CELL), LATENT_CELL)

    image_gen = plan.to_gen(original)
    strength = request.strength
    noise = request.masked_content is MaskedContent.NOISE
    if noise:
        image_gen = _noise_fill(image_gen, model_mask, seed)
        strength = 1.0

    if on_crop is not None:
        on_crop(plan.preview_box(), (gw, gh))

    kwargs: dict[str, Any] = {}
    if _accepts_strength(run):
        kwargs["strength"] = strength
    result = run(Image.fromarray(image_gen), Image.fromarray(model_mask, "L"), gw, gh, **kwargs)
    result = np.asarray(result)
    if result.shape != (gh, gw, 3) or result.dtype != np.uint8:
        raise RuntimeError(f"The inpaint pipeline returned {result.shape} {result.dtype}, expected {(gh, gw, 3)} uint8.")

    x0, y0, x1, y1 = plan.box
    orig_crop = original[y0:y1, x0:x1]
    gen_crop = plan.from_gen(result)
    offset = np.zeros(3)
    if colour_match:
        repainted_crop = plan.from_gen(np.repeat(model_mask[:, :, None], 3, axis=2))[:, :, 0]
        offset = _colour_offset(orig_crop, gen_crop, repainted_crop)
        if np.abs(offset).max() >= 0.5:
            gen_crop = np.clip(gen_crop.astype(np.float64) + offset, 0, 255).round().astype(np.uint8)

    out = original.copy()
    out[y0:y1, x0:x1] = M.composite(orig_crop, gen_crop, plan.alpha[y0:y1, x0:x1])

    extra = {
        "mask": request.mask.copy(),
        "alpha": plan.alpha,
        "crop_box": tuple(int(v) for v in plan.box),
        "gen_size": (int(gw), int(gh)),
        "inpaint": {
            "mode": request.inpaint_area.value,
            "padding": int(request.inpaint_padding),
            "blur": int(request.mask_blur),
            "strength": float(request.strength),
            "masked_content": request.masked_content.value,
            "unet": "inpaint_unet" if unet_in_channels == 9 else "latent_blend",
            "colour_offset": [round(float(v), 2) for v in offset],
        },
    }
    return out, extra


def preview_box(request: GenerationRequest, preview_size: tuple[int, int], native_size: tuple[int, int] | None = None):
    """Where a step preview of this inpaint belongs on the image: (x0, y0, x1, y1) in pixels.

    Exact when ``native_size`` (the model's) is given. Without it the native size is
    taken from the preview itself (latent size x 8), which is exact whenever the
    crop was not clamped by the image's edges and close otherwise.
    """
    if native_size is None:
        native_size = (preview_size[0] * LATENT_CELL, preview_size[1] * LATENT_CELL)
    return InpaintPlan(request, native_size).preview_box()


def latent_size(gen_size: tuple[int, int]) -> tuple[int, int]:
    return (math.ceil(gen_size[0] / LATENT_CELL), math.ceil(gen_size[1] / LATENT_CELL))
