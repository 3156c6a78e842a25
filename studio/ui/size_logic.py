"""The size a generation will run at, said before it runs, and the valid ranges of number fields.

:func:`planned_size` mirrors the engine's rules (:mod:`studio.engine.sizing`):
the size fields when set; "native size" without an init image is the model's
native size; with one (image to image), the model's pixel count at the init's
aspect, scaled back to the init's size.

:class:`RangeHints` watches spin boxes: a typed value outside the range (width 7,
9999 steps) is shown with the range and the value that will be used, instead of
being clamped or rejected silently.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QAbstractSpinBox, QLabel

from studio.engine.request import MIN_SIZE, Mode
from studio.engine.sizing import init_size


@dataclass(frozen=True)
class Plan:
    width: int | None  # None: the model's native size, not known yet (model loading)
    height: int | None
    back_to: tuple[int, int] | None = None  # the init's size the result is scaled back to

    def describe(self) -> str:
        if self.width is None:
            return "the model's native size"
        text = f"runs at {self.width}x{self.height}"
        if self.back_to is not None and self.back_to != (self.width, self.height):
            text += f", scaled to {self.back_to[0]}x{self.back_to[1]}"
        return text


def _snap(v: int) -> int:
    return min(4096, int(round(v / 8)) * 8) if v else 0


def plan_for(width: int, height: int, native: tuple[int, int] | None, init: tuple[int, int] | None) -> Plan:
    """The size for the given panel size fields, the model's native size and the init's (w, h)."""
    width, height = _snap(width), _snap(height)
    if init is not None:
        if native is None and not (width and height):
            return Plan(None, None, init if not (width or height) else None)
        w, h = init_size((width, height), init, native or (0, 0))
        return Plan(w, h, init if not (width or height) else None)
    if width and height:
        return Plan(width, height)
    if native is None:
        return Plan(width or None, height or None) if width and height else Plan(None, None)
    return Plan(width or native[0], height or native[1])


def planned_size(window) -> Plan | None:
    """The size the next text-to-image or image-to-image job of ``window`` runs at."""
    from studio.ui.mode_rules import window_mode

    info = window.model_info
    native = (info.native_width, info.native_height) if info is not None else None
    mode = window_mode(window)
    if mode is Mode.INPAINT:
        return None
    init = window.params.init_image() if mode is Mode.IMG2IMG else None
    shape = (init.shape[1], init.shape[0]) if init is not None else None
    return plan_for(window.params.width_spin.value(), window.params.height_spin.value(), native, shape)


def size_problem(width: int, height: int) -> str | None:
    """Why a size field value cannot run (None when it can)."""
    for name, v in (("width", width), ("height", height)):
        if v and v < MIN_SIZE:
            return f"The {name} must be 0 (native) or at least {MIN_SIZE} px (got {v})."
    return None


class RangeHints(QObject):
    """Shows, in ``label``, a spin box's valid range and the value that will be used when the
    typed text is out of range (Qt would otherwise clamp it silently on leaving the field)."""

    def __init__(self, label: QLabel, parent=None):
        super().__init__(parent)
        self.label = label
        self._spins: dict[QAbstractSpinBox, str] = {}
        label.setVisible(False)

    def watch(self, spin, name: str) -> None:
        self._spins[spin] = name
        lo, hi = spin.minimum(), spin.maximum()
        special = f" ({lo} = {spin.specialValueText()})" if spin.specialValueText() else ""
        spin.setToolTip(f"{name}: {lo} to {hi}{special}")
        spin.lineEdit().textEdited.connect(lambda text, s=spin: self._edited(s, text))
        spin.installEventFilter(self)  # keys the spin box rejects (9999 in a 1-99 field)
        spin.lineEdit().installEventFilter(self)
        spin.editingFinished.connect(lambda s=spin: self._check(s))

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.KeyPress and event.text().isdigit():
            spin = next((s for s in self._spins if obj is s or s.lineEdit() is obj), None)
            if spin is not None:
                line = spin.lineEdit()
                text = line.text()
                start = line.selectionStart() if line.hasSelectedText() else line.cursorPosition()
                end = start + len(line.selectedText()) if line.hasSelectedText() else start
                self._edited(spin, text[:start] + event.text() + text[end:], typing=True)
        return False

    def _edited(self, spin, text: str, typing: bool = False) -> None:
        name = self._spins[spin]
        raw = text.removeprefix(spin.prefix()).removesuffix(spin.suffix()).strip()
        try:
            typed = float(raw)
        except ValueError:
            self.label.setVisible(False)
            return
        lo, hi = spin.minimum(), spin.maximum()
        if typed > hi and typing:  # the spin box drops the key: the field keeps its value
            self._say(f"{name}: {raw} is above the maximum {hi}; the value stays {spin.value()}.")
        elif typed > hi or typed < lo:
            used = hi if typed > hi else lo
            self._say(f"{name}: {raw} is outside {lo}–{hi}; {used} will be used.")
        else:
            self._check(spin, typed)

    def _check(self, spin, value=None) -> None:
        value = spin.value() if value is None else value
        name = self._spins[spin]
        step = spin.singleStep()
        if name in ("Width", "Height") and value:
            if value < MIN_SIZE:
                self._say(f"{name}: {int(value)} is too small; 0 (native) or {MIN_SIZE}–{spin.maximum()}.")
                return
            if int(value) % step:
                self._say(f"{name}: {int(value)} runs as {_snap(int(value))} (multiples of 8).")
                return
        self.label.setVisible(False)

    def _say(self, text: str) -> None:
        self.label.setText(text)
        self.label.setVisible(True)
