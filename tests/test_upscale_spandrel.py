"""The zoo of user upscalers through spandrel: ESRGAN, Real-ESRGAN compact, SwinIR, HAT, DAT, SPAN.

Each state dict is made by the architecture's own class with random weights
(small settings, the real key layout), saved as a .safetensors file in
STUDIO_HOME/models/ESRGAN/ and loaded through Studio's upscaler loader.
spandrel needs a torchvision that matches torch; where there is none (the CPU
torch this project pins), these tests skip: the note of the upscaling issue
says where they were run.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

try:
    import spandrel  # noqa: F401
    from spandrel.architectures.DAT import DAT
    from spandrel.architectures.ESRGAN import ESRGAN as RRDBNet
    from spandrel.architectures.HAT import HAT
    from spandrel.architectures.SPAN import SPAN
    from spandrel.architectures.SwinIR import SwinIR
except Exception as exc:  # ImportError, or torchvision's "operator does not exist" on a mismatched torch
    pytest.skip(f"spandrel is not usable here: {type(exc).__name__}: {str(exc)[:80]}", allow_module_level=True)

from studio.engine.upscale import models
from studio.engine.upscale.compact import SRVGGNetCompact
from studio.engine.upscale.tiling import upscale_array

FAMILIES = {
    "esrgan": (lambda: RRDBNet(num_filters=8, num_blocks=1, scale=4), 4),
    "swinir": (lambda: SwinIR(img_size=16, embed_dim=12, depths=[2], num_heads=[2], window_size=4, upscale=2,
                              upsampler="pixelshuffledirect"), 2),
    "hat": (lambda: HAT(img_size=16, embed_dim=30, depths=[2], num_heads=[2], window_size=4, upscale=2,
                        upsampler="pixelshuffle", num_feat=16, compress_ratio=3, squeeze_factor=5), 2),
    "dat": (lambda: DAT(img_size=16, embed_dim=32, depth=[2], num_heads=[2], split_size=[2, 4], upscale=2,
                        upsampler="pixelshuffledirect", expansion_factor=2), 2),
    "span": (lambda: SPAN(num_in_ch=3, num_out_ch=3, feature_channels=8, upscale=4), 4),
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_spandrel_families_load_and_run(family, studio_home):
    build, scale = FAMILIES[family]
    torch.manual_seed(0)
    state = {k: v.contiguous() for k, v in build().state_dict().items()}
    folder = studio_home / "models" / "ESRGAN"
    folder.mkdir(parents=True, exist_ok=True)
    save_file(state, str(folder / f"{family}.safetensors"))
    loaded = models.load(family, scale)
    assert loaded.scale == scale
    out = upscale_array(loaded.model, np.zeros((16, 16, 3), np.uint8), loaded.scale, tile=0)
    assert out.shape == (16 * scale, 16 * scale, 3)


def test_studio_compact_files_are_real_esrgan_compact_to_spandrel():
    torch.manual_seed(0)
    ours = SRVGGNetCompact(num_feat=16, num_conv=4, upscale=4).eval()
    descriptor = spandrel.ModelLoader().load_from_state_dict(ours.state_dict())
    assert type(descriptor.architecture).__name__ == "CompactArch" and descriptor.scale == 4
    x = torch.rand(1, 3, 12, 12)
    with torch.no_grad():
        assert torch.allclose(descriptor.model.eval()(x), ours(x), atol=1e-5)
