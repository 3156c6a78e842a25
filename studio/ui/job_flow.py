"""Building a job from the window's state, and what its results take with them.

The one place that decides what a Generate press runs (see
:mod:`studio.ui.mode_logic`): a visible mask on the canvas image is an inpaint of
that image with that mask, whatever the Mode picker said; without one, the
picker's text-to-image or image-to-image (with the init image). An inpaint result
keeps its source's mask, so the next Generate repaints the same area again.
"""

from __future__ import annotations

from studio.engine.errors import InvalidRequest
from studio.engine.request import GenerationRequest, Mode
from studio.ui.mode_rules import window_mode
from studio.ui.size_logic import size_problem

NO_MASK = "Inpaint needs a mask: paint over the area to repaint on the canvas (it shows in the mask colour)."
HIDDEN_MASK = "The mask is hidden: show it (H over the canvas) to inpaint, or pick another mode."


def build_request(window) -> GenerationRequest:
    """The request a Generate press runs now; InvalidRequest (one line) when it cannot run."""
    from studio.ui.images import from_qimage

    prompt, negative = window.prompt_editor.text()
    values = window.params.values()
    mode = window_mode(window)
    values["mode"] = mode
    masking = window.masking
    if mode is Mode.INPAINT:
        if masking is None or not masking.has_mask():
            raise InvalidRequest(NO_MASK)
        if not masking.mask_active():
            raise InvalidRequest(HIDDEN_MASK)
        paint = getattr(window, "paint", None)
        # the inpaint sees the paint under the mask (an inpaint sketch): baked into the picture first
        baked = paint.bake(masking) if paint is not None else None
        image = window.canvas.current_image()
        init = baked if baked is not None else from_qimage(image)  # the image the mask was painted on
        window.params.set_init_image(init, image, switch_mode=False)
        values.update(width=0, height=0)
        crop = getattr(masking, "crop", None)
        values["inpaint_box"] = crop.request_box() if crop is not None else None  # the box the user dragged
        request = GenerationRequest(
            prompt=prompt, negative_prompt=negative, init_image=init, mask=masking.mask.data.copy(),
            **{**values, **masking.panel.inpaint_settings()},
        )
        return request
    problem = size_problem(values["width"], values["height"])
    if problem:
        raise InvalidRequest(problem)
    init = window.params.init_image() if mode is Mode.IMG2IMG else None
    if init is not None:
        init = _with_paint(window, init)
    return GenerationRequest(prompt=prompt, negative_prompt=negative, init_image=init, **values)


def _with_paint(window, init):
    """img2img of the canvas picture takes the paint over it too (baked into the canvas image first)."""
    import numpy as np

    paint = getattr(window, "paint", None)
    if paint is None or paint.layer.is_empty():
        return init
    pixels = paint.image_pixels()
    if pixels is None or pixels.shape != init.shape or not np.array_equal(pixels, init):
        return init  # the init image is another picture: the canvas paint is not part of it
    baked = paint.bake(window.masking)
    image = window.canvas.current_image()
    window.params.set_init_image(baked, image, switch_mode=False)
    return baked


def target_size(window, request: GenerationRequest) -> tuple[int, int]:
    """The canvas size a job's previews stretch over (the final image's size when known)."""
    if request.init_image is not None and not (request.width and request.height):
        h, w = request.init_image.shape[:2]
        return w, h
    if request.width and request.height:
        return request.width, request.height
    if window.model_info is not None:
        return window.model_info.native_width, window.model_info.native_height
    return 0, 0


def adopt_masks(window, request: GenerationRequest | None, qimages: list) -> None:
    """Give an inpaint's results their source's mask (before they are shown)."""
    if request is None or request.mode is not Mode.INPAINT or window.masking is None or request.mask is None:
        return
    for image in qimages:
        if (image.height(), image.width()) == request.mask.shape:
            window.masking.give_mask(image, request.mask)


def results_arrived(window, request: GenerationRequest | None, qimages: list) -> None:
    """A job's results are about to be shown: give them their masks, keep the job's sources."""
    adopt_masks(window, request, qimages)
    if request is not None and request.mode is not Mode.TXT2IMG:
        from studio.library.sources import store_request_sources
        from studio.ui import aio

        def failed(exc) -> None:
            window.messages.show_error(f"Could not keep the init image and mask of this result: {exc}")

        aio.spawn(aio.off_thread(store_request_sources, request), on_error=failed)


def reuse_sources(window, params: dict):
    """Reuse parameters, edits included: put the init image (and mask, crop box) a result was made from
    back on the canvas, so Generate repeats the img2img or inpaint. Returns the task (None for txt2img)."""
    init_digest = params.get("init_sha256")
    if params.get("mode") in (None, Mode.TXT2IMG.value) or not isinstance(init_digest, str):
        return None
    from studio.library import sources
    from studio.ui import aio

    mask_digest = params.get("mask_sha256") if params.get("mode") == Mode.INPAINT.value else None

    async def run():
        init = await aio.off_thread(sources.load, init_digest)
        mask = await aio.off_thread(sources.load, mask_digest) if isinstance(mask_digest, str) else None
        _apply_sources(window, params, init, mask, mask_digest is not None)

    return aio.spawn(run(), on_error=lambda e: window.messages.show_error(f"Could not reuse the init image: {e}"))


def _apply_sources(window, params: dict, init, mask, wants_mask: bool) -> None:
    from studio.ui.images import to_qimage

    if init is None or (wants_mask and mask is None):
        window.messages.show_info("This result's init image or mask is no longer stored: only its parameters were reused.")
        return
    image = to_qimage(init)
    masking = window.masking
    if masking is not None and mask is not None and mask.shape == init.shape[:2]:
        masking.give_mask(image, mask)
    window.canvas.set_image(image, None, "Reuse: init image")
    window.params.set_init_image(init, image, switch_mode=False)
    window.params.set_mode(Mode(params["mode"]))
    if masking is not None and mask is not None:
        masking.panel.set_inpaint_settings(params)
        masking.panel.show_check.setChecked(True)
        crop = getattr(masking, "crop", None)
        box = params.get("inpaint_box")
        if crop is not None:
            crop._user_box = tuple(int(v) for v in box) if isinstance(box, (list, tuple)) and len(box) == 4 else None
            crop.update()
