"""The mode rule on its own: which mode a generation runs in, from the picker, the mask and the init image.

Kept apart from :mod:`studio.ui.mode_logic` (the indicator widgets) so the size
planning and the job flow can ask for the mode without importing the widgets.
"""

from __future__ import annotations

from studio.engine.request import Mode


def effective_mode(chosen: Mode, mask_active: bool, has_init: bool) -> Mode:
    """The mode a generation runs in: a visible mask wins; Inpaint without one stays Inpaint (and asks
    for a mask); Image to image needs an init image, else it is text to image."""
    if mask_active or Mode(chosen) is Mode.INPAINT:
        return Mode.INPAINT
    if Mode(chosen) is Mode.IMG2IMG and has_init:
        return Mode.IMG2IMG
    return Mode.TXT2IMG


def window_mode(window) -> Mode:
    """The effective mode of ``window`` (a :class:`studio.ui.main_window.MainWindow`) right now."""
    masking = window.masking
    active = masking is not None and masking.mask_active()
    return effective_mode(window.params.current_mode(), active, window.params.init_image() is not None)
