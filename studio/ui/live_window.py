"""Live painting in the studio window: the Live dock, its actions and keys, live settings per model.

:func:`attach_to_window` builds the paint layer (:mod:`studio.ui.paint_controller`),
the Live panel with its view, and the :class:`~studio.ui.live_mode.LiveMode`
controller; the window routes the worker's events for live jobs to it
(:mod:`studio.ui.window_jobs`). Ctrl+L toggles live mode, Ctrl+Shift+L applies;
over the canvas P arms the brush, I picks the colour under the pointer, F the
fill, and B / E / [ / ] act on the paint tool while it is armed.

Live settings are kept per model in ``Settings.live`` (the user's changes); a
model starts from :func:`studio.engine.live.live_defaults` (its folder's
``studio_live.json``, or a few-step recipe recognised from its name, its
scheduler or a LoRA in the prompt).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea

from studio.engine import live as L
from studio.ui.live_mode import LiveMode
from studio.ui.live_panel import LivePanel
from studio.ui.paint_controller import PaintController


def _model_key(window) -> str:
    return window.params.model_spec() or "starter"


def _lora_names(window) -> list[str]:
    from studio.engine import networks
    from studio.engine.errors import StudioError

    try:
        return [t.name for t in networks.parse(*window.prompt_editor.text())[2]]
    except StudioError:  # a half-typed tag: no recipe from it yet
        return []


def _model_defaults(window) -> L.LiveSettings:
    info = window.model_info
    folder = None
    if info is not None and info.kind == "folder":
        from studio.engine.errors import StudioError
        from studio.engine.models import resolve

        try:
            folder = resolve(info.spec).location
        except (StudioError, OSError):
            folder = None
    return L.live_defaults(info.name if info is not None else "", folder, _lora_names(window))


def attach_to_window(window) -> LiveMode:
    paint = PaintController(window.canvas)
    panel = LivePanel(window.canvas, paint.settings)
    live = LiveMode(window, paint, panel.view)
    window.paint, window.live, window.live_panel = paint, live, panel
    scroll = QScrollArea(objectName="liveScroll", widgetResizable=True, frameShape=QFrame.NoFrame)
    scroll.setWidget(panel)
    from studio.ui.mask_window import _dock_was_saved

    restored = _dock_was_saved(window, "liveDock")
    dock = window.add_dock(scroll, "Live", Qt.RightDockWidgetArea, "liveDock")
    window.live_dock = dock
    if not restored and getattr(window, "gallery_dock", None) is not None:
        window.tabifyDockWidget(window.gallery_dock, dock)
        window.gallery_dock.raise_()

    menu = window.gen_menu
    menu.addSeparator()
    toggle = window._action("&Live painting", lambda: live.set_enabled(not live.enabled), "Ctrl+L", None, menu, "liveToggle")
    toggle.setCheckable(True)
    window.live_action = toggle
    window._action("&Apply live result", live.apply, "Ctrl+Shift+L", None, menu, "liveApply")

    def enabled(on: bool) -> None:
        toggle.setChecked(on)
        if panel.live_button.isChecked() != on:
            panel.live_button.setChecked(on)
        if on:
            dock.show()
            dock.raise_()
            if not paint.painting():
                paint.set_painting(True)

    live.enabled_changed.connect(enabled)
    panel.live_toggled.connect(live.set_enabled)
    panel.apply_requested.connect(live.apply)
    live.result_ready.connect(lambda: panel.apply_button.setEnabled(True))
    live.status.connect(lambda text: window.statusBar().showMessage(text, 6000))
    panel.placement_changed.connect(panel.view.set_placement)
    panel.tool_chosen.connect(paint.choose)
    panel.clear_paint_requested.connect(paint.clear)
    paint.painting_changed.connect(panel.show_painting)

    def use(settings: L.LiveSettings) -> None:
        panel.show_settings(settings)
        live.set_settings(settings)

    def edited(settings: L.LiveSettings) -> None:
        live.set_settings(settings)
        window.settings.live[_model_key(window)] = settings.as_dict()  # written with the other settings

    def model_ready(_info) -> None:
        live.touch()  # the model's native size is known now: an empty canvas can get its picture
        use(L.merge(_model_defaults(window), window.settings.live.get(_model_key(window))))

    def reset() -> None:
        window.settings.live.pop(_model_key(window), None)
        use(_model_defaults(window))

    loras: dict = {"names": []}

    def prompt_changed() -> None:
        names = _lora_names(window)
        if names != loras["names"]:  # a few-step LoRA came or went: its recipe, unless the user set their own
            loras["names"] = names
            if _model_key(window) not in window.settings.live and window.model_info is not None:
                use(_model_defaults(window))

    panel.settings_changed.connect(edited)
    panel.reset_requested.connect(reset)
    window.prompt_editor.changed.connect(prompt_changed)
    window.model_loaded_hooks.append(model_ready)
    shortcuts = getattr(window, "canvas_shortcuts", None)
    if shortcuts is not None:
        shortcuts.attach_paint(paint)
    return live
