"""Reading user-supplied images (init images, masks) safely into numpy arrays."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from studio.engine.errors import ImageLoadError

MAX_PIXELS = 64_000_000  # well above any canvas; below Pillow's bomb guard


def _open(path: str | Path) -> Image.Image:
    path = Path(path)
    if not path.is_file():
        raise ImageLoadError(f"No image at {path}.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
            if img.width * img.height > MAX_PIXELS:
                raise ImageLoadError(f"{path.name} is {img.width}x{img.height}: too large to use as input.")
            img.load()
        return img
    except ImageLoadError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageLoadError(f"{path.name} is not an image Studio can read ({type(exc).__name__}).") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageLoadError(f"{path.name} is damaged or truncated: {str(exc).splitlines()[0] if str(exc) else exc}.") from None


def load_rgb(path: str | Path) -> np.ndarray:
    """HxWx3 uint8; transparent pixels are composited onto white."""
    img = _open(path)
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img)
    return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()


def load_mask(path: str | Path) -> np.ndarray:
    """HxW uint8 where 255 means repaint (white). An alpha channel, if present, is the mask."""
    img = _open(path)
    if img.mode in ("RGBA", "LA"):
        alpha = np.asarray(img.getchannel("A"), dtype=np.uint8)
        if alpha.min() < 255:
            return alpha.copy()
    return np.asarray(img.convert("L"), dtype=np.uint8).copy()
