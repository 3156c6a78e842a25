"""Which mode the next generation runs in, and showing it before it runs.

A visible mask on the current canvas image means "inpaint that image" (as a
selection or inpaint-mask layer does in Krita AI Diffusion and InvokeAI); without
one, the Mode picker chooses text-to-image or image-to-image (the latter only
with an init image). The picker follows the mask: painting one switches it to
Inpaint; hiding the mask switches it back. There is no way to generate while a
visible mask is ignored: picking another mode hides the mask first, and says so.

:class:`ModeIndicator` shows the mode and the size that will run on the Generate
button and in the status bar, and keeps them current.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel

from studio.engine.request import Mode
from studio.ui.size_logic import planned_size
from studio.ui.mode_rules import effective_mode, window_mode  # noqa: F401  (re-exported)

MODE_NAMES = {Mode.TXT2IMG: "Text to image", Mode.IMG2IMG: "Image to image", Mode.INPAINT: "Inpaint"}


def generate_label(mode: Mode, mask_active: bool) -> str:
    """The Generate button's text for ``mode``."""
    if mode is Mode.INPAINT and not mask_active:
        return "Inpaint: paint a mask"
    return {Mode.TXT2IMG: "Generate", Mode.IMG2IMG: "Generate: image to image", Mode.INPAINT: "Generate: inpaint"}[mode]


class ModeIndicator(QObject):
    """Keeps the Generate action's text, the status bar's mode label and the Mode picker in step."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.label = QLabel("", objectName="modeStatus")
        self.label.setTextFormat(Qt.PlainText)
        window.statusBar().addPermanentWidget(self.label)
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.refresh)
        self._was_active = False
        self._image = window.canvas.current_image()
        p = window.params
        p.mode_changed.connect(self._mode_picked)
        p.changed.connect(self.schedule)
        p.init_changed.connect(self.schedule)
        window.canvas.image_changed.connect(self.schedule)
        if window.masking is not None:
            self.attach_mask(window.masking)
        self.refresh()

    def attach_mask(self, masking) -> None:
        masking.state_changed.connect(self.schedule)
        self.schedule()

    def schedule(self, *_args) -> None:
        self._timer.start()

    def _mode_picked(self, mode) -> None:
        masking = self.window.masking
        if Mode(mode) is Mode.INPAINT:
            self._image = self.window.canvas.current_image()  # Inpaint picked for this image: keep it
        if Mode(mode) is not Mode.INPAINT and masking is not None and masking.mask_active():
            # the user asked for a mode that ignores the mask: hide it, visibly, rather than ignore it
            masking.panel.show_check.setChecked(False)
            self._was_active = False
            self.window.messages.show_info(
                f"{MODE_NAMES[Mode(mode)]}: the mask is hidden and not used. Show it again (H over the canvas) to inpaint."
            )
        self.schedule()

    def refresh(self) -> None:
        w = self.window
        masking = w.masking
        active = masking is not None and masking.mask_active()
        params = w.params
        image = w.canvas.current_image()
        new_image = image is not self._image
        self._image = image
        if active and not self._was_active and params.current_mode() is not Mode.INPAINT:
            params.set_mode(Mode.INPAINT)  # a mask was painted (or shown): the picker follows
        elif not active and params.current_mode() is Mode.INPAINT and masking is not None:
            hidden = self._was_active and not masking.panel.show_check.isChecked()
            if hidden or (new_image and not masking.has_mask()):
                # the mask was hidden, or another image without one came: back to the mode without it
                params.set_mode(Mode.IMG2IMG if params.init_image() is not None else Mode.TXT2IMG)
        self._was_active = active
        mode = window_mode(w)
        w.generate_action.setText(generate_label(mode, active))
        w.generate_action.setToolTip(f"{generate_label(mode, active)} (Ctrl+Enter)")
        text = self.describe(mode, active)
        self.label.setText(text)
        params.size_note.setText(text.split(" · ", 1)[-1] if mode is not Mode.INPAINT else "Inpaint: at the canvas image's size")

    def describe(self, mode: Mode, active: bool) -> str:
        w = self.window
        text = MODE_NAMES[mode]
        if mode is Mode.INPAINT:
            size = w.canvas.image_size()
            if active:
                share = w.masking.mask.data.mean() / 255.0
                text += f" · mask {share:.0%} of {size.width()}x{size.height()}"
            else:
                text += " · no mask painted yet"
            return text
        plan = planned_size(w)
        return f"{text} · {plan.describe()}" if plan is not None else text
