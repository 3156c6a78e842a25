"""One entry point for both modes: sizes, colour preservation, the mask, previews and the result.

Without a mask the result has the working size (``settings.size``). With a mask
(HxW uint8 at the content's size, 255 = stylize) the stylized picture is scaled
to the content's size and blended in through the mask: pixels where the mask is
0 keep the content's exact values, in every preview and in the result.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import numpy as np
from PIL import Image

from studio.engine.errors import GenerationCancelled, InvalidRequest
from studio.engine.style import colour
from studio.engine.style.settings import StyleResult, StyleSettings, StyleStep, image_hash

OnStep = Callable[[StyleStep], None]


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Lanczos resize of a uint8 RGB array to (width, height); a no-op at the same size."""
    if (image.shape[1], image.shape[0]) == tuple(size):
        return image
    return np.asarray(Image.fromarray(image).resize(size, Image.LANCZOS))


def _check_image(image: np.ndarray, what: str) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise InvalidRequest(f"The {what} must be an 8-bit RGB image (got {arr.dtype} {arr.shape}).")
    if min(arr.shape[:2]) < 16:
        raise InvalidRequest(f"The {what} is too small ({arr.shape[1]}x{arr.shape[0]}); both sides need 16 pixels.")
    return np.ascontiguousarray(arr[:, :, :3])


def _check_mask(mask: np.ndarray | None, content: np.ndarray) -> np.ndarray | None:
    if mask is None:
        return None
    arr = np.asarray(mask)
    if arr.ndim == 3:
        arr = arr[..., :3].max(axis=2)
    if arr.shape != content.shape[:2]:
        raise InvalidRequest(f"The mask is {arr.shape[1]}x{arr.shape[0]} but the content image is {content.shape[1]}x{content.shape[0]}.")
    arr = arr.astype(np.uint8) if arr.dtype != bool else arr.astype(np.uint8) * 255
    if not arr.any():
        raise InvalidRequest("The mask is empty: paint where the style should go, or turn off mask-limited transfer.")
    return arr


def composite(original: np.ndarray, stylized: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Blend ``stylized`` into ``original`` through ``mask``; exactly ``original`` where the mask is 0."""
    m = mask.astype(np.float32)[..., None] / 255.0
    blended = (original.astype(np.float32) * (1.0 - m) + stylized.astype(np.float32) * m + 0.5).astype(np.uint8)
    return np.where(mask[..., None] == 0, original, blended)


@functools.lru_cache(maxsize=2)
def _network(name: str, stamp: tuple):
    from studio.engine.style.features import load_network

    return load_network(name)


def feature_network(name: str = "auto"):
    """The (cached) feature network; a new VGG-19 file in models/style is picked up."""
    from studio.engine.style.features import vgg19_file

    path = vgg19_file() if name != "random" else None
    stamp = (str(path), path.stat().st_mtime_ns) if path is not None else ()
    return _network(name, stamp)


class _Finisher:
    """Turns a working-size image into what the user sees: content chroma, then the mask composite."""

    def __init__(self, content: np.ndarray, work: np.ndarray, settings: StyleSettings, mask: np.ndarray | None):
        self.content, self.work, self.settings, self.mask = content, work, settings, mask

    def __call__(self, image: np.ndarray) -> np.ndarray:
        if self.settings.preserve_colors:
            image = colour.with_content_chroma(image, self.work)
        if self.mask is None:
            return image
        return composite(self.content, resize(image, (self.content.shape[1], self.content.shape[0])), self.mask)


def stylize(
    content: np.ndarray,
    style: np.ndarray,
    settings: StyleSettings,
    *,
    mask: np.ndarray | None = None,
    on_step: OnStep | None = None,
    cancel=None,
) -> StyleResult:
    """Transfer ``style``'s look onto ``content`` (both HxWx3 uint8); see the module docstring."""
    content = _check_image(content, "content image")
    style = _check_image(style, "style image")
    mask = _check_mask(mask, content)
    start = time.perf_counter()
    size = settings.working_size(content.shape[1], content.shape[0])
    work = resize(content, size)
    style_scale = max(size) / max(style.shape[:2])
    style_work = resize(style, (max(16, round(style.shape[1] * style_scale)), max(16, round(style.shape[0] * style_scale))))
    finish = _Finisher(content, work, settings, mask)
    net_input, style_input = work, style_work
    if settings.preserve_colors:  # luminance-only transfer
        net_input = colour.grey_rgb(colour.luminance(work))
        style_input = colour.grey_rgb(colour.matched_luminance(style_work, work))
    if cancel is not None and cancel.is_set():
        raise GenerationCancelled("Style transfer cancelled.", total=settings.steps)
    if settings.mode == "fast":
        from studio.engine.style import fast

        out = fast.stylize(net_input, style_input)
        if cancel is not None and cancel.is_set():
            raise GenerationCancelled("Style transfer cancelled.", step=1, total=1)
        image = finish(out)
        nan = float("nan")
        if on_step is not None:  # shown at once; the loss figures follow
            on_step(StyleStep(1, 1, nan, nan, nan, nan, time.perf_counter() - start, image))
        # the figures: content and result under exact mode's objective (iterations 0 and 1)
        from studio.engine.style.exact import measure

        losses = measure(net_input, style_input, settings, feature_network(settings.network), [net_input, out])
        history = tuple(v.as_dict() for v in losses)
        network, network_hash = fast.NAME, fast.network_hash()
    else:
        from studio.engine.style.exact import optimise

        net = feature_network(settings.network)

        def on_iteration(i, vals, preview) -> None:
            if on_step is not None:
                on_step(StyleStep(i, settings.steps, vals.content, vals.style, vals.tv, vals.total, time.perf_counter() - start, finish(preview)))

        out, losses = optimise(net_input, style_input, settings, net, on_iteration=on_iteration, cancel=cancel)
        image = finish(out)
        history = tuple(v.as_dict() for v in losses)
        network, network_hash = net.name, net.digest
    return StyleResult(
        image=image,
        settings=settings,
        style_hash=image_hash(style),
        network=network,
        network_hash=network_hash,
        history=history,
        elapsed=time.perf_counter() - start,
        masked=mask is not None,
        work_size=size,
    )
