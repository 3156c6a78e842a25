"""The dark theme (Fusion + palette + a short style sheet) and the icon loader."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from studio.paths import resources_dir

BACKGROUND = "#1e2228"
BASE = "#15181d"
PANEL = "#262b33"
TEXT = "#d8dce4"
MUTED = "#8a93a3"
ACCENT = "#6aa7ff"
EDGE = "#3a414c"
CHECKED = "#3d6fb6"  # a checked toggle (Paint mask, the active tool, favourites, random seed, ratio lock)
PRESSED = "#2b5289"

STYLE_SHEET = f"""
QMainWindow::separator {{ background: {BASE}; width: 4px; height: 4px; }}
QDockWidget {{ titlebar-close-icon: none; }}
QDockWidget::title {{ background: {PANEL}; padding: 4px 8px; text-align: left; }}
QToolTip {{ color: {TEXT}; background: {PANEL}; border: 1px solid #3a414c; }}
QStatusBar {{ background: {BASE}; }}
QStatusBar QLabel {{ color: {MUTED}; padding: 0 6px; }}
QProgressBar {{ border: 1px solid #3a414c; border-radius: 3px; text-align: center; background: {BASE}; }}
QProgressBar::chunk {{ background: {ACCENT}; }}
QPlainTextEdit {{ background: {BASE}; border: 1px solid #3a414c; border-radius: 3px; }}
QListWidget {{ background: {BASE}; }}
QLabel#tokenCount {{ color: {MUTED}; }}
QLabel#sizeNote, QLabel#modeStatus {{ color: {MUTED}; }}
QLabel#rangeNote {{ color: #f2c14e; }}
QPushButton, QToolButton {{ background: {PANEL}; border: 1px solid {EDGE}; border-radius: 3px; padding: 3px 8px; }}
QToolButton {{ padding: 3px 4px; }}
QPushButton:hover, QToolButton:hover {{ background: #303743; border-color: #556070; }}
QPushButton:pressed, QToolButton:pressed {{ background: {PRESSED}; }}
QPushButton:checked, QToolButton:checked {{ background: {CHECKED}; border: 1px solid {ACCENT}; color: #ffffff; }}
QPushButton:checked:hover, QToolButton:checked:hover {{ background: #4a80cc; }}
QPushButton:disabled, QToolButton:disabled {{ color: #5c6370; background: {BACKGROUND}; border-color: #2c3139; }}
QToolBar QToolButton {{ background: transparent; border: 1px solid transparent; }}
QToolBar QToolButton:hover {{ background: #303743; border-color: #556070; }}
QToolBar QToolButton:checked {{ background: {CHECKED}; border-color: {ACCENT}; }}
QToolButton::menu-indicator {{ image: none; }}
"""


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    p = QPalette()
    roles = {
        QPalette.Window: BACKGROUND,
        QPalette.WindowText: TEXT,
        QPalette.Base: BASE,
        QPalette.AlternateBase: PANEL,
        QPalette.ToolTipBase: PANEL,
        QPalette.ToolTipText: TEXT,
        QPalette.PlaceholderText: MUTED,
        QPalette.Text: TEXT,
        QPalette.Button: PANEL,
        QPalette.ButtonText: TEXT,
        QPalette.BrightText: "#ff6b6b",
        QPalette.Link: ACCENT,
        QPalette.Highlight: "#3d6fb6",
        QPalette.HighlightedText: "#ffffff",
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, QColor("#5c6370"))
    app.setPalette(p)
    app.setStyleSheet(STYLE_SHEET)


@cache
def icon(name: str) -> QIcon:
    """An icon from ``resources/icons/<name>.svg`` (an empty icon when the file is missing)."""
    path = resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()
