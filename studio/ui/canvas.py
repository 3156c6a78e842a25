"""The canvas: a QGraphicsView showing the current image, step previews and, later, overlays.

Scene coordinates are image pixel coordinates: the image item sits at (0, 0)
and a pixel (x, y) of the current image is scene point (x, y), whatever the
zoom or the preview's resolution (a latent-sized preview is scaled up by its
item transform so it covers the same rectangle).

Hooks for layers and tools (the inpainting mask uses these):

* ``canvas.image_item`` is the :class:`QGraphicsPixmapItem` of the image, z = 0.
* ``canvas.add_overlay(item, z=10)`` puts any QGraphicsItem above the image, in
  image coordinates (for a mask: a pixmap item of the image's size, opacity 0.5).
  ``canvas.remove_overlay(item)`` takes it away. Overlays stay when the image
  changes; listen to ``image_changed(QSize)`` to resize them. ``set_extra_rect``
  widens the shown scene (a staged result beside the image, see studio.ui.staging).
* ``canvas.set_tool(tool)`` installs a :class:`CanvasTool`; it gets
  ``press/move/release(pos, event)`` with ``pos`` a QPointF in image coordinates
  (``move`` also without a button held, for a brush cursor). Return True to
  consume the event. Panning (space + drag, middle button) and wheel zoom keep
  working with a tool installed. ``set_tool(None)`` goes back to the default
  (left-drag drags the image out as a file).
* ``canvas.undo_stack`` (QUndoStack) is what Edit > Undo/Redo (Ctrl+Z /
  Ctrl+Shift+Z) drive: image changes push :class:`SetImageCommand`; a mask
  stroke can push its own QUndoCommand on the same stack.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap, QTransform, QUndoStack
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
)

from studio.ui.canvas_dnd import CanvasDragDrop
from studio.ui.canvas_tools import CanvasTool, SetImageCommand, checker_brush

MIN_ZOOM, MAX_ZOOM = 0.02, 64.0
CHECKER = 8  # screen pixels per checkerboard square


class CanvasView(CanvasDragDrop, QGraphicsView):
    image_changed = Signal(QSize)  # the committed image changed size or content
    image_dropped = Signal(str)  # an image file was dropped on the canvas
    zoom_changed = Signal(float)
    frame_painted = Signal()  # the viewport painted after show_preview()/set_image()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("canvas")
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self.image_item = QGraphicsPixmapItem()
        self.image_item.setZValue(0)
        self.image_item.setShapeMode(QGraphicsPixmapItem.BoundingRectShape)
        self._scene.addItem(self.image_item)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(50)
        self._paths: dict[int, tuple[QImage, str]] = {}  # id(image) -> (image, its file)
        self._image: QImage | None = None
        self._path: str | None = None
        self._tool: CanvasTool | None = None
        self._smooth = True
        self._space_down = False
        self._pan_from: QPoint | None = None
        self._drag_from: QPoint | None = None
        self._overlay_grab = False  # an overlay item (the crop box) has the mouse
        self._frame_pending = False
        self._auto_fit = True
        self._extra: QRectF | None = None  # more scene to show beside the image (staged results)
        self._image_size = QSize(0, 0)
        self.placeholder = "Write a prompt and press Ctrl+Enter,\nor drop an image here to start from it."
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        self.setRenderHint(QPainter.SmoothPixmapTransform, True)
        self.setAcceptDrops(True)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setBackgroundBrush(QColor("#15181d"))
        self.viewport().grabGesture(Qt.PinchGesture)
        self._checker = checker_brush(CHECKER)
        self._apply_smooth()

    # -- image -------------------------------------------------------------------------

    def set_image(self, image: QImage, path: str | None = None, text: str = "Change image") -> None:
        """Show ``image`` as the current image (an undoable step)."""
        self.undo_stack.push(SetImageCommand(self, image, path, text))

    def set_image_path(self, image: QImage, path: str) -> None:
        """Tell the canvas the file behind ``image`` (known once it is saved): drag-out and export use it."""
        self._paths[id(image)] = (image, path)
        while len(self._paths) > 64:  # bounded like the undo stack
            del self._paths[next(iter(self._paths))]
        if image is self._image:
            self._path = path

    def _show_image(self, image: QImage | None, path: str | None) -> None:
        old_size = self._image.size() if self._image is not None else None
        if path is None and image is not None and id(image) in self._paths:
            path = self._paths[id(image)][1]
        self._image, self._path = image, path
        self.image_item.setTransform(QTransform())
        self.image_item.setPixmap(QPixmap.fromImage(image) if image is not None else QPixmap())
        size = image.size() if image is not None else QSize(0, 0)
        self._set_scene_size(size)
        if size != old_size and self._auto_fit:
            self.fit()
        self._frame_pending = True
        self.image_changed.emit(size)

    def current_image(self) -> QImage | None:
        return self._image

    def current_path(self) -> str | None:
        return self._path

    def image_size(self) -> QSize:
        return self._image.size() if self._image is not None else QSize(0, 0)

    def show_preview(self, preview: QImage, width: int, height: int) -> None:
        """Show a step preview (often latent-sized) stretched over ``width`` x ``height`` image pixels.

        Not an undo step: :meth:`restore` puts the current image back.
        """
        pix = QPixmap.fromImage(preview)
        self.image_item.setPixmap(pix)
        sx = width / max(1, pix.width())
        sy = height / max(1, pix.height())
        self.image_item.setTransform(QTransform.fromScale(sx, sy))
        if self._image is None or self._image.size() != QSize(width, height):
            self._set_scene_size(QSize(width, height))
            if self._auto_fit:
                self.fit()
        self._frame_pending = True

    def restore(self) -> None:
        """Show the current image again (after previews of a cancelled or failed job)."""
        self._show_image(self._image, self._path)

    def clear(self) -> None:
        self._show_image(None, None)

    def _image_rect(self) -> QRectF:
        """The shown rectangle in the scene: the image and any extra rectangle (empty with neither:
        overlays such as the crop box's label must not make an empty canvas look like a tiny image)."""
        if self.image_item.pixmap().isNull() and self._extra is None:
            return QRectF()
        return self._scene.sceneRect()

    def _set_scene_size(self, size: QSize) -> None:
        self._image_size = size
        rect = QRectF(0, 0, size.width(), size.height())
        if self._extra is not None:
            rect = rect.united(self._extra) if not rect.isEmpty() else QRectF(self._extra)
        self._scene.setSceneRect(rect)

    def set_extra_rect(self, rect: QRectF | None) -> None:
        """Show ``rect`` (scene coordinates) besides the image (a staged result); None: the image alone."""
        if rect == self._extra:
            return
        self._extra = QRectF(rect) if rect is not None else None
        self._set_scene_size(self._image_size)
        if self._auto_fit:
            self.fit()
        self.viewport().update()

    # -- overlays and tools ----------------------------------------------------------------

    def add_overlay(self, item: QGraphicsItem, z: float = 10.0) -> QGraphicsItem:
        item.setZValue(z)
        self._scene.addItem(item)
        return item

    def remove_overlay(self, item: QGraphicsItem) -> None:
        if item.scene() is self._scene:
            self._scene.removeItem(item)

    def set_tool(self, tool: CanvasTool | None) -> None:
        if self._tool is not None:
            self._tool.deactivate(self)
        self._tool = tool
        if tool is not None:
            tool.activate(self)
        self._update_cursor()

    def tool(self) -> CanvasTool | None:
        return self._tool

    # -- zoom --------------------------------------------------------------------------------

    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float, anchor_view_pos: QPoint | None = None) -> None:
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        current = self.zoom()
        if current <= 0 or abs(factor - current) < 1e-9:
            return
        self._auto_fit = False
        if anchor_view_pos is None:
            anchor_view_pos = self.viewport().rect().center()
        scene_before = self.mapToScene(anchor_view_pos)
        old_anchor = self.transformationAnchor()
        self.setTransformationAnchor(QGraphicsView.NoAnchor)
        self.setTransform(QTransform.fromScale(factor, factor))
        self.setTransformationAnchor(old_anchor)
        # keep the image point under the anchor where it was
        diff = self.mapFromScene(scene_before) - anchor_view_pos
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + diff.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + diff.y())
        self.zoom_changed.emit(factor)

    def zoom_by(self, ratio: float, anchor_view_pos: QPoint | None = None) -> None:
        self.set_zoom(self.zoom() * ratio, anchor_view_pos)

    def fit(self) -> None:
        """Fit the image in the view (and keep fitting on resize until the user zooms)."""
        self._auto_fit = True
        rect = self._image_rect()
        if rect.isEmpty():
            return
        view = self.viewport().rect().adjusted(8, 8, -8, -8)
        factor = min(view.width() / rect.width(), view.height() / rect.height())
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        self.setTransform(QTransform.fromScale(factor, factor))
        self.centerOn(rect.center())
        self.zoom_changed.emit(factor)

    def actual_size(self) -> None:
        self._auto_fit = False
        self.setTransform(QTransform())
        self.centerOn(self._scene.sceneRect().center())
        self.zoom_changed.emit(1.0)

    def set_smooth(self, smooth: bool) -> None:
        """Smooth scaling (default) or nearest-neighbour, for pixel art."""
        self._smooth = bool(smooth)
        self._apply_smooth()

    def smooth(self) -> bool:
        return self._smooth

    def _apply_smooth(self) -> None:
        mode = Qt.SmoothTransformation if self._smooth else Qt.FastTransformation
        self.image_item.setTransformationMode(mode)
        self.setRenderHint(QPainter.SmoothPixmapTransform, self._smooth)
        self.viewport().update()

    # -- painting ------------------------------------------------------------------------------

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawBackground(painter, rect)
        rects = [] if self.image_item.pixmap().isNull() else [self.image_item.sceneBoundingRect()]
        if self._extra is not None:
            rects.append(self._extra)
        if not rects:
            return
        # a checkerboard of constant screen size under the image (and the extra rectangle), for transparency
        device_rects = [self.mapFromScene(r).boundingRect() for r in rects]
        painter.save()
        painter.resetTransform()
        for device_rect in device_rects:
            painter.fillRect(device_rect, self._checker)
        painter.restore()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawForeground(painter, rect)
        if self.image_item.pixmap().isNull() and self._extra is None and self.placeholder:
            painter.save()
            painter.resetTransform()
            painter.setPen(QColor("#5c6370"))
            painter.drawText(self.viewport().rect(), Qt.AlignCenter | Qt.TextWordWrap, self.placeholder)
            painter.restore()

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self._frame_pending:
            self._frame_pending = False
            self.frame_painted.emit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._auto_fit:
            self.fit()

    # -- input -----------------------------------------------------------------------------------

    def _update_cursor(self) -> None:
        if self._pan_from is not None:
            self.viewport().setCursor(Qt.ClosedHandCursor)
        elif self._space_down:
            self.viewport().setCursor(Qt.OpenHandCursor)
        elif self._tool is not None and self._tool.cursor is not None:
            self.viewport().setCursor(self._tool.cursor)
        else:
            self.viewport().unsetCursor()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space_down = True
            self._update_cursor()
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            self._update_cursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def _scene_pos(self, event) -> QPointF:
        return self.mapToScene(event.position().toPoint())

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MiddleButton or (event.button() == Qt.LeftButton and self._space_down):
            self._pan_from = event.position().toPoint()
            self._update_cursor()
            event.accept()
            return
        item = self.itemAt(event.position().toPoint())
        if event.button() == Qt.LeftButton and getattr(item, "grabs_mouse", False) and item.isVisible():
            self._overlay_grab = True  # an overlay's handle (the crop box) goes before the tool
            super().mousePressEvent(event)
            return
        if self._tool is not None and self._tool.press(self._scene_pos(event), event):
            event.accept()
            return
        if event.button() == Qt.LeftButton and self._image is not None:
            self._drag_from = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._pan_from is not None:
            pos = event.position().toPoint()
            delta = pos - self._pan_from
            self._pan_from = pos
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        if self._overlay_grab:
            super().mouseMoveEvent(event)
            return
        if self._tool is not None and self._tool.move(self._scene_pos(event), event):
            event.accept()
            return
        if (self._drag_from is not None and (event.buttons() & Qt.LeftButton)
                and (event.position().toPoint() - self._drag_from).manhattanLength() >= 8):
            self._drag_from = None
            self._start_drag()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None and event.button() in (Qt.MiddleButton, Qt.LeftButton):
            self._pan_from = None
            self._update_cursor()
            event.accept()
            return
        self._drag_from = None
        if self._overlay_grab:
            self._overlay_grab = False
            super().mouseReleaseEvent(event)
            return
        if self._tool is not None and self._tool.release(self._scene_pos(event), event):
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def wheelEvent(self, event) -> None:
        dy = event.angleDelta().y() or event.pixelDelta().y()
        if dy:
            self.zoom_by(1.0015**dy, event.position().toPoint())
        event.accept()

    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.NativeGesture and event.gestureType() == Qt.ZoomNativeGesture:
            self.zoom_by(1.0 + event.value(), event.position().toPoint())
            return True
        if event.type() == QEvent.Gesture:
            pinch = event.gesture(Qt.PinchGesture)
            if pinch is not None:
                centre = self.viewport().mapFromGlobal(pinch.centerPoint().toPoint())
                self.zoom_by(pinch.scaleFactor(), centre)
                event.accept()
                return True
        return super().viewportEvent(event)

    # -- drag and drop ---------------------------------------------------------------------------
