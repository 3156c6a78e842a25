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
from studio.ui.mode_logic import window_mode
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
        image = window.canvas.current_image()
        init = from_qimage(image)  # the image the mask was painted on
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
    return GenerationRequest(prompt=prompt, negative_prompt=negative, init_image=init, **values)


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
