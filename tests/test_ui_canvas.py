"""The canvas: image/preview display, zoom around the cursor, pan, overlays, tools, undo, drag and drop."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDropEvent, QImage
from PySide6.QtWidgets import QGraphicsRectItem

from studio.ui.canvas import CanvasTool, CanvasView
from studio.ui.images import from_qimage, read_rgb, to_qimage


@pytest.fixture
def canvas(qtbot):
    view = CanvasView()
    view.resize(400, 300)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def gradient(w=64, h=48) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 // w, y * 255 // h, np.full_like(x, 90)], axis=2).astype(np.uint8)


def test_numpy_qimage_round_trip():
    arr = gradient(13, 7)  # odd width: rows are padded inside the QImage
    assert np.array_equal(from_qimage(to_qimage(arr)), arr)


def test_read_rgb_composites_alpha(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:2, :, 3] = 255
    Image.fromarray(rgba).save(tmp_path / "a.png")
    out = read_rgb(tmp_path / "a.png")
    assert out.shape == (4, 4, 3)
    assert tuple(out[0, 0]) == (255, 0, 0) and tuple(out[3, 0]) == (255, 255, 255)


def test_set_image_fits_and_undo_redo(canvas):
    first, second = to_qimage(gradient()), to_qimage(gradient(32, 32))
    canvas.set_image(first)
    assert canvas.sceneRect().size().toSize() == first.size()
    # fitted: the whole image is visible in the viewport
    visible = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    assert visible.contains(canvas.sceneRect())
    canvas.set_image(second, "/x.png")
    assert canvas.current_image() is second and canvas.current_path() == "/x.png"
    canvas.undo_stack.undo()
    assert canvas.current_image() is first and canvas.current_path() is None
    canvas.undo_stack.redo()
    assert canvas.current_image() is second


def test_wheel_zoom_keeps_the_point_under_the_cursor(canvas, qtbot):
    canvas.set_image(to_qimage(gradient(200, 150)))
    anchor = QPoint(260, 120)
    before = canvas.mapToScene(anchor)
    zoom0 = canvas.zoom()
    canvas.set_zoom(zoom0 * 3, anchor)
    assert canvas.zoom() == pytest.approx(zoom0 * 3)
    after = canvas.mapToScene(anchor)
    assert abs(after.x() - before.x()) < 1.0 and abs(after.y() - before.y()) < 1.0
    canvas.actual_size()
    assert canvas.zoom() == 1.0
    canvas.fit()
    assert canvas.zoom() == pytest.approx(zoom0)


def test_middle_button_pans(canvas, qtbot):
    canvas.set_image(to_qimage(gradient(400, 300)))
    canvas.set_zoom(4.0)
    h0 = canvas.horizontalScrollBar().value()
    qtbot.mousePress(canvas.viewport(), Qt.MiddleButton, pos=QPoint(200, 150))
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    move = QMouseEvent(
        QMouseEvent.MouseMove, QPointF(150, 150), QPointF(150, 150), Qt.NoButton, Qt.MiddleButton, Qt.NoModifier
    )
    QApplication.sendEvent(canvas.viewport(), move)
    qtbot.mouseRelease(canvas.viewport(), Qt.MiddleButton, pos=QPoint(150, 150))
    assert canvas.horizontalScrollBar().value() == h0 + 50


def test_preview_covers_the_image_rect_and_restore(canvas):
    final = to_qimage(gradient(64, 64))
    canvas.set_image(final)
    canvas.show_preview(to_qimage(gradient(8, 8)), 64, 64)  # latent-sized preview
    assert canvas.image_item.sceneBoundingRect().size().toSize().width() == 64
    assert canvas.image_item.pixmap().width() == 8
    assert canvas.current_image() is final  # a preview is not an undo step
    canvas.restore()
    assert canvas.image_item.pixmap().width() == 64
    assert canvas.undo_stack.count() == 1


def test_overlay_and_tool_get_image_coordinates(canvas, qtbot):
    canvas.set_image(to_qimage(gradient(100, 100)))
    overlay = canvas.add_overlay(QGraphicsRectItem(0, 0, 100, 100))
    assert overlay.zValue() > canvas.image_item.zValue()
    # the overlay is what the scene finds on top at an image point
    assert canvas.scene().items(QPointF(50, 50))[0] is overlay

    class Recorder(CanvasTool):
        cursor = Qt.CrossCursor

        def __init__(self):
            self.events = []

        def press(self, pos, event):
            self.events.append(("press", pos))
            return True

        def release(self, pos, event):
            self.events.append(("release", pos))
            return True

    tool = Recorder()
    canvas.set_tool(tool)
    view_point = canvas.mapFromScene(QPointF(25, 75))
    qtbot.mouseClick(canvas.viewport(), Qt.LeftButton, pos=view_point)
    kinds = [k for k, _ in tool.events]
    assert kinds == ["press", "release"]
    pos = tool.events[0][1]
    assert abs(pos.x() - 25) <= 1 / canvas.zoom() + 0.01 and abs(pos.y() - 75) <= 1 / canvas.zoom() + 0.01
    assert canvas.viewport().cursor().shape() == Qt.CrossCursor
    canvas.set_tool(None)
    canvas.remove_overlay(overlay)
    assert overlay.scene() is None


def test_nearest_neighbour_toggle(canvas):
    canvas.set_smooth(False)
    assert canvas.image_item.transformationMode() == Qt.FastTransformation
    canvas.set_smooth(True)
    assert canvas.image_item.transformationMode() == Qt.SmoothTransformation


def test_dropping_an_image_file_emits_its_path(canvas, qtbot, tmp_path):
    path = tmp_path / "in.png"
    Image.fromarray(gradient()).save(path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    with qtbot.waitSignal(canvas.image_dropped) as signal:
        canvas.dropEvent(event)
    assert signal.args == [str(path)]
    text = QMimeData()
    text.setUrls([QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    assert canvas._dropped_file(text) is None


def test_checkerboard_under_the_image(canvas, qtbot):
    img = QImage(40, 40, QImage.Format_ARGB32)
    img.fill(QColor(0, 0, 0, 0))  # fully transparent
    canvas.set_image(img)
    canvas.actual_size()
    grab = canvas.viewport().grab().toImage()
    centre = canvas.mapFromScene(QPointF(20, 20))
    colours = {grab.pixelColor(centre.x() + dx, centre.y()).name() for dx in range(0, 16)}
    assert len(colours) == 2  # two checker colours show through
