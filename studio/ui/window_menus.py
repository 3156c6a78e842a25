"""The main window's menus and actions (File, Edit, View, Generate, Image, Help)."""

from __future__ import annotations


from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from studio.ui.theme import icon



class WindowMenus:
    """Mixed into :class:`studio.ui.main_window.MainWindow` (uses its panels and signals)."""

    def _action(self, text: str, slot, shortcut=None, icon_name: str | None = None, menu=None, name: str = "") -> QAction:
        act = QAction(text, self)
        if icon_name:
            act.setIcon(icon(icon_name))
        if shortcut is not None:
            if isinstance(shortcut, (list, tuple)):
                act.setShortcuts([QKeySequence(s) for s in shortcut])
            else:
                act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(slot)
        act.setObjectName(name or text)
        self.addAction(act)  # shortcuts work in full screen and with docks floating
        if menu is not None:
            menu.addAction(act)
        return act

    def _make_actions(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = self._action("&Open image…", self._ask_open_image, QKeySequence.Open, "open", file_menu, "open")
        self.save_action = self._action("&Save image as…", self._ask_save_image, QKeySequence.Save, "save", file_menu, "save")
        file_menu.addSeparator()
        self.settings_action = self._action(
            "Se&ttings…", self.open_settings, QKeySequence.Preferences, "settings", file_menu, "settings"
        )
        file_menu.addSeparator()
        self._action("&Quit", self.close, QKeySequence.Quit, None, file_menu, "quit")

        edit_menu = bar.addMenu("&Edit")
        self.undo_action = self.canvas.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.undo_action.setIcon(icon("undo"))
        self.redo_action = self.canvas.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo_action.setIcon(icon("redo"))
        for act in (self.undo_action, self.redo_action):
            self.addAction(act)
            edit_menu.addAction(act)
        edit_menu.addSeparator()
        self.copy_action = self._action("&Copy image", self.copy_image, QKeySequence.Copy, "copy", edit_menu, "copy")
        self._action("&Paste image as init image", self.paste_image, QKeySequence.Paste, None, edit_menu, "paste")
        self._action("Use canvas image as &init image", self.use_canvas_as_init, "Ctrl+I", None, edit_menu, "useAsInit")

        self.view_menu = bar.addMenu("&View")
        self._action("&Fit to window", self.canvas.fit, "Ctrl+0", "fit", self.view_menu, "fit")
        self._action("&Actual size", self.canvas.actual_size, "Ctrl+1", "actual-size", self.view_menu, "actualSize")
        self._action("Zoom &in", lambda: self.canvas.zoom_by(1.25), QKeySequence.ZoomIn, "zoom-in", self.view_menu, "zoomIn")
        self._action("Zoom &out", lambda: self.canvas.zoom_by(0.8), QKeySequence.ZoomOut, "zoom-out", self.view_menu, "zoomOut")
        nearest = QAction("&Nearest-neighbour scaling", self, checkable=True)
        nearest.toggled.connect(self.canvas_panel.nearest_button.setChecked)
        self.canvas_panel.nearest_button.toggled.connect(nearest.setChecked)
        self.view_menu.addAction(nearest)
        self.view_menu.addSeparator()
        self.fullscreen_action = self._action("&Full screen", self.toggle_full_screen, "F11", "fullscreen", self.view_menu, "fullscreen")
        self.fullscreen_action.setCheckable(True)
        self._action("&Reset layout", self.reset_layout, None, None, self.view_menu, "resetLayout")
        self.view_menu.addSeparator()
        for dock in (self.prompt_dock, self.params_dock, self.gallery_dock, self.queue_dock, self.mask_dock):
            self.view_menu.addAction(dock.toggleViewAction())

        gen_menu = self.gen_menu = bar.addMenu("&Generate")
        self.generate_action = self._action(
            "&Generate", self.generate, ["Ctrl+Return", "Ctrl+Enter"], "generate", gen_menu, "generate"
        )
        self.cancel_action = self._action("&Cancel", self.cancel, "Esc", "cancel", gen_menu, "cancel")
        self._action("Clear the &queue", self.clear_queue, None, "remove", gen_menu, "clearQueue")
        from studio.ui import upscaling

        self.upscaler = upscaling.install(self, bar.addMenu("&Image"))

        help_menu = bar.addMenu("&Help")
        self._action("&About Studio", self._about, None, None, help_menu, "about")

        tools = self.addToolBar("Main")
        tools.setObjectName("mainToolBar")
        for act in (self.generate_action, self.cancel_action, self.undo_action, self.redo_action, self.save_action, self.settings_action):
            tools.addAction(act)
        tools.widgetForAction(self.generate_action).setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
