"""Neural style transfer: exact (Gatys optimisation, every iteration streamed) and fast (one ONNX pass).

Qt-free. :mod:`.losses` (content, Gram style, TV, total), :mod:`.features`
(VGG-19 from the user's weights, random multi-scale filters out of the box),
:mod:`.colour` (luminance-only transfer), :mod:`.exact`, :mod:`.fast`,
:mod:`.transfer` (:func:`stylize`, the entry point), :mod:`.meta` (metadata, saving).
"""

from studio.engine.style.settings import StyleResult, StyleSettings, StyleStep, image_hash
from studio.engine.style.transfer import stylize

__all__ = ["StyleResult", "StyleSettings", "StyleStep", "image_hash", "stylize"]
