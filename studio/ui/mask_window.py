"""Mask painting in the studio window: the Mask dock, the canvas shortcuts and the mode hooks.

:func:`attach_to_window` docks the mask panel (in a scroll area), installs the
canvas shortcuts, hands the controller to the window's mode indicator (a
visible mask makes Generate inpaint) and sets ``window.mask_provider``.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from studio.engine.request import Mode
from studio.ui.mask_controller import MaskController


def _dock_was_saved(window, name: str) -> bool:
    from studio.ui.saved_state import unb64

    return name.encode("utf-16-be") in bytes(unb64(window.settings.window_state))


def attach_to_window(window) -> MaskController:
    """Add mask painting to a :class:`studio.ui.main_window.MainWindow` through its public hooks.

    The dock goes where the user last had it; on a first launch it is tabbed
    with the gallery. Choosing Inpaint (or a mask tool) arms painting. The
    provider keeps the canvas image (the one the mask was painted on) as the
    init image while inpainting, so the mask and the image always match.
    """
    from PySide6.QtWidgets import QFrame, QScrollArea

    from studio.ui.canvas_shortcuts import CanvasShortcuts
    from studio.ui.crop_box import CropBox

    ctl = MaskController(window.canvas, own_strength=False)
    window.masking = ctl
    scroll = QScrollArea()
    scroll.setObjectName("maskScroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.NoFrame)
    scroll.setWidget(ctl.panel)
    restored = _dock_was_saved(window, "maskDock")
    dock = window.add_dock(scroll, "Mask", Qt.RightDockWidgetArea, "maskDock")
    window.mask_dock = dock
    gallery_dock = getattr(window, "gallery_dock", None)
    if gallery_dock is not None and not restored:
        window.tabifyDockWidget(gallery_dock, dock)  # full height, one click away from the gallery
        gallery_dock.raise_()
    window.canvas_shortcuts = CanvasShortcuts(window.canvas, ctl, window)

    def native():
        info = window.model_info
        return (info.native_width, info.native_height) if info is not None else None

    ctl.crop = CropBox(ctl, native)  # the "only masked" area, shown and draggable
    window.model_state_changed.connect(lambda *_a: ctl.crop.update())
    indicator = getattr(window, "mode_indicator", None)
    if indicator is not None:
        indicator.attach_mask(ctl)

    synced: dict = {}

    def sync_init() -> None:
        # keep the image the mask is painted on (the canvas image) as the init image while inpainting
        image = window.canvas.current_image()
        if image is None or not ctl.mask_active():
            return
        if synced.get("image") is image and window.params.init_image() is synced.get("array"):
            return
        from studio.ui.images import from_qimage

        array = from_qimage(image)
        window.params.set_init_image(array, image, switch_mode=False)
        synced.update(image=image, array=window.params.init_image())

    def provider() -> np.ndarray | None:
        sync_init()
        return ctl.mask_for_request() if ctl.mask_active() else None

    def mode_changed(mode) -> None:
        inpaint = Mode(mode) is Mode.INPAINT
        ctl.set_painting(inpaint or (ctl.canvas.tool() is ctl.tool and ctl.panel.paint_button.isChecked() and not ctl.has_mask()))
        if inpaint:
            dock.show()
            dock.raise_()
        sync_init()

    window.mask_provider = provider
    window.params.mode_changed.connect(mode_changed)
    ctl.state_changed.connect(sync_init)
    return ctl
