"""Staging in the studio window: the strip under the canvas, its keys, and where results go.

:func:`attach_to_window` sets ``window.staging`` (:class:`studio.ui.staging.Staging`)
and ``window.staging_strip``. :func:`show_results` is what the window does with a
finished job's images: staged over the canvas image when the setting "Stage
results before they replace the canvas" is on (the default), else straight onto
the canvas with the batch strip to choose from (the behaviour before staging).
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from studio.ui.staging import Staging
from studio.ui.staging_strip import StagingStrip

ENDED_MESSAGES = {
    "accepted": "Accepted the staged result (Ctrl+Z brings the earlier image back)",
    "discarded": "Discarded the staged results: they stay in the gallery",
    "replaced": "Another image is on the canvas: the staged results were put away (they are in the gallery)",
}


def attach_to_window(window) -> Staging:
    staging = Staging(window.canvas, window)
    strip = StagingStrip(staging)
    panel = window.canvas_panel
    panel.layout().insertWidget(panel.layout().indexOf(panel.strip), strip)
    window.staging, window.staging_strip = staging, strip
    staging.ended.connect(lambda how: window.statusBar().showMessage(ENDED_MESSAGES[how], 6000))
    keys = getattr(window, "canvas_shortcuts", None)
    if keys is not None:
        for key, action, repeat in (
            (Qt.Key_Left, staging.prev, True),
            (Qt.Key_Right, staging.next, True),
            (Qt.Key_Return, staging.accept, False),
            (Qt.Key_Enter, staging.accept, False),
            (Qt.Key_Backspace, staging.discard, False),
            (Qt.Key_C, staging.cycle_compare, False),
        ):
            keys.add(key, action, staging.active, repeat)
    return staging


def show_results(window, qimages: list) -> None:
    """A finished job's images (QImages, masks already given): staged, or onto the canvas."""
    strip = window.canvas_panel.strip
    if window.settings.stage_results:
        strip.setVisible(False)
        window.canvas.restore()  # the canvas image again under the staging, not the job's last preview
        window.staging.stage(qimages)
        return
    window.staging.discard()
    strip.set_images(qimages)
    window.canvas.set_image(qimages[0], None, "Generate")


def result_saved(window, image, path: str) -> None:
    """A shown result's gallery file is known: the canvas, the batch strip and the staging learn it."""
    window.canvas.set_image_path(image, path)
    window.staging.set_path(image, path)
    strip = window.canvas_panel.strip
    for i, (img, _path) in enumerate(strip.images):
        if img is image:
            strip.set_path(i, path)


def shown_image(window) -> tuple:
    """(QImage, path) of what the canvas shows: the staged result while there is one, else the canvas image."""
    if window.staging.active():
        return window.staging.current(), window.staging.current_path()
    return window.canvas.current_image(), window.canvas.current_path()
