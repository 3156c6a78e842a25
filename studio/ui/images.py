"""numpy <-> QImage conversions and image-file reading. QImages are made on the GUI thread only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage

from studio.engine.errors import ImageLoadError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


def to_qimage(array: np.ndarray) -> QImage:
    """A QImage that owns a copy of an HxWx3 (RGB) or HxWx4 (RGBA) uint8 array."""
    arr = np.ascontiguousarray(array)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise ValueError(f"expected HxWx3/4 uint8, got {arr.shape} {arr.dtype}")
    h, w, c = arr.shape
    fmt = QImage.Format_RGB888 if c == 3 else QImage.Format_RGBA8888
    return QImage(arr.data, w, h, arr.strides[0], fmt).copy()


def from_qimage(image: QImage) -> np.ndarray:
    """An HxWx3 uint8 RGB copy of a QImage."""
    img = image.convertToFormat(QImage.Format_RGB888)
    h, w = img.height(), img.width()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes())
    return buf.reshape(h, img.bytesPerLine())[:, : w * 3].reshape(h, w, 3).copy()


def read_rgb(path: str | Path) -> np.ndarray:
    """An image file as HxWx3 uint8 (transparency composited on white). Safe off the GUI thread."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
            if im.mode in ("RGBA", "LA", "P"):
                im = im.convert("RGBA")
                bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
                im = Image.alpha_composite(bg, im)
            return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise ImageLoadError(f"Could not read the image {path}: {exc}") from exc


def is_image_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES
