"""Keep the whole window usable on small screens: a 1280x720 laptop, or 200% scale on 1600x1000.

Every dock's panel sits in a frameless scroll area (so a dock can be shorter or
narrower than its panel and scrolls instead of pushing the window past the
screen), and the status bar's labels may shrink (their full text stays in the
tooltip). The window's minimum size then comes from the dock titles and the
canvas, well under 800x500 logical pixels.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QFrame, QLabel, QScrollArea, QSizePolicy, QWidget


def scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless, resizable scroll area."""
    scroll = QScrollArea()
    scroll.setObjectName(f"{widget.objectName() or 'panel'}Scroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.NoFrame)
    scroll.setWidget(widget)
    return scroll


def panel_of(dock: QDockWidget) -> QWidget | None:
    """The panel inside ``dock`` (inside its scroll area when it has one)."""
    widget = dock.widget()
    return widget.widget() if isinstance(widget, QScrollArea) else widget


def fit_docks(window) -> None:
    """Put each dock's panel that is not already scrolling into a scroll area; let status labels shrink."""
    for dock in window.findChildren(QDockWidget):
        widget = dock.widget()
        if widget is None or isinstance(widget, QScrollArea):
            continue
        dock.setWidget(scrolling(widget))
    for label in window.statusBar().findChildren(QLabel):
        if label.objectName() == "modeStatus":
            continue  # what Generate will do stays readable
        label.setSizePolicy(QSizePolicy.Ignored, label.sizePolicy().verticalPolicy())
        label.setMinimumWidth(0)
    fit_on_screen(window)


def fit_on_screen(window) -> None:
    """Shrink the window back onto its screen (a panel with a large minimum size, set before it was
    put in a scroll area, may have grown it past the screen's edge)."""
    screen = window.screen()
    if screen is None or window.isMaximized() or window.isFullScreen():
        return
    avail = screen.availableGeometry()
    frame = window.frameGeometry().size() - window.size()
    w = min(window.width(), avail.width() - frame.width())
    h = min(window.height(), avail.height() - frame.height())
    if (w, h) != (window.width(), window.height()):
        window.resize(w, h)
    geo = window.frameGeometry()  # a restored position may leave the bottom (status bar) off-screen
    x = max(avail.left(), min(geo.x(), avail.right() + 1 - geo.width()))
    y = max(avail.top(), min(geo.y(), avail.bottom() + 1 - geo.height()))
    if (x, y) != (geo.x(), geo.y()):
        window.move(x, y)
