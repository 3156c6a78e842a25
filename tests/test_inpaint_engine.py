"""Inpainting end to end: through Engine.generate, the CLI and the gallery (tiny real pipelines)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from studio.engine.events import Progress
from studio.engine.request import GenerationRequest

pytestmark = [pytest.mark.filterwarnings("ignore"), pytest.mark.usefixtures("one_torch_thread")]



@pytest.fixture(scope="module")
def engine():
    from studio.engine.generator import Engine, EngineSettings

    return Engine(EngineSettings(device="cpu", threads=1))


def _picture(h=70, w=90):
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = np.linspace(20, 230, w, dtype=np.uint8)[None, :]
    img[..., 1] = 120
    img[..., 2] = np.linspace(200, 50, h, dtype=np.uint8)[:, None]
    return img


def _mask(h=70, w=90):
    m = np.zeros((h, w), np.uint8)
    m[20:37, 41:60] = 255
    return m


@pytest.mark.parametrize("area", ["whole", "only_masked"])
def test_engine_generate_inpaint(engine, tiny_sd_dir, area):
    img, mask = _picture(), _mask()
    events = []
    req = GenerationRequest(
        prompt="a red star", model=str(tiny_sd_dir), mode="inpaint", init_image=img, mask=mask,
        steps=4, strength=1.0, seed=12, inpaint_area=area, inpaint_padding=8, mask_blur=4,
    )
    (res,) = engine.generate(req, on_event=events.append)
    out = res.image
    assert out.shape == img.shape
    alpha = res.extra["alpha"]
    assert (out[alpha == 0] == img[alpha == 0]).all()
    assert (out[mask > 0] != img[mask > 0]).any(axis=-1).mean() > 0.9
    assert (res.extra["mask"] == mask).all()
    assert res.extra["inpaint"]["mode"] == area and res.extra["inpaint"]["unet"] == "latent_blend"
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress and progress[-1].step == progress[-1].total
    previews = [p.preview for p in progress if p.preview is not None]
    assert previews, "previews must stream while inpainting"
    gw, gh = res.extra["gen_size"]
    assert previews[-1].shape == (gh // 8, gw // 8, 3)
    # same seed, same result (the crop and the noise are deterministic)
    (again,) = engine.generate(req)
    assert (again.image == out).all()


def test_engine_generate_with_nine_channel_model(engine, tiny_sd_inpaint_dir):
    img, mask = _picture(64, 64), _mask(64, 64)
    req = GenerationRequest(
        prompt="a red star", model=str(tiny_sd_inpaint_dir), mode="inpaint", init_image=img, mask=mask,
        steps=3, strength=1.0, seed=1, masked_content="noise",
    )
    (res,) = engine.generate(req)
    assert res.extra["inpaint"]["unet"] == "inpaint_unet"
    assert res.extra["inpaint"]["masked_content"] == "noise"
    alpha = res.extra["alpha"]
    assert (res.image[alpha == 0] == img[alpha == 0]).all()


def test_cli_generate_init_and_mask_to_folder(tiny_sd_dir, tmp_path):
    from studio.cli.main import main

    img, mask = _picture(), _mask()
    Image.fromarray(img).save(tmp_path / "in.png")
    Image.fromarray(mask).save(tmp_path / "mask.png")
    out_dir = tmp_path / "out"
    rc = main([
        "generate", "a red star", "--model", str(tiny_sd_dir), "--init", str(tmp_path / "in.png"),
        "--mask", str(tmp_path / "mask.png"), "--out", str(out_dir), "--steps", "3", "--seed", "5",
        "--inpaint-area", "only_masked", "--padding", "12", "--mask-blur", "3", "--strength", "0.9",
    ])
    assert rc == 0
    pngs = sorted(p for p in out_dir.glob("*.png") if not p.name.endswith(".mask.png"))
    assert len(pngs) == 1
    result = Image.open(pngs[0])
    arr = np.asarray(result.convert("RGB"))
    from studio.engine import masks as M

    alpha = M.feather(mask, 3)
    assert (arr[alpha == 0] == img[alpha == 0]).all(), "the PNG keeps every pixel outside the mask"
    assert (arr[mask > 0] != img[mask > 0]).any(axis=-1).mean() > 0.9
    saved_mask = np.asarray(Image.open(pngs[0].with_name(pngs[0].stem + ".mask.png")))
    assert (saved_mask == mask).all()
    params = result.text["parameters"]
    assert "Denoising strength: 0.9" in params and "Mask blur: 3" in params
    assert "Inpaint area: Only masked" in params and "Masked area padding: 12" in params
    studio_json = next(v for k, v in result.text.items() if k.startswith("studio"))
    extra = json.loads(studio_json)["extra"]
    assert extra["inpaint"]["mode"] == "only_masked" and extra["inpaint"]["blur"] == 3
    assert extra["crop_box"] and extra["gen_size"] == [64, 64]


def test_cli_inpaint_to_gallery_saves_mask_beside(tiny_sd_dir, tmp_path, studio_home):
    from studio.cli.main import main
    from studio.library import Library

    img, mask = _picture(), _mask()
    Image.fromarray(img).save(tmp_path / "in.png")
    Image.fromarray(mask).save(tmp_path / "mask.png")
    rc = main([
        "generate", "a red star", "--model", str(tiny_sd_dir), "--init", str(tmp_path / "in.png"),
        "--mask", str(tmp_path / "mask.png"), "--steps", "2", "--seed", "5",
    ])
    assert rc == 0
    lib = Library.open()
    try:
        entries = lib.list()
        (entry,) = list(entries)
        assert entry.mask_path is not None and entry.mask_path.exists()
        assert (np.asarray(Image.open(entry.mask_path)) == mask).all()
    finally:
        lib.close()


def test_previews_of_an_only_masked_inpaint_land_on_the_crop_box(engine, tiny_sd_dir):
    from studio.engine.inpaint import preview_box

    img = _picture(150, 200)
    mask = np.zeros((150, 200), np.uint8)
    mask[60:80, 90:115] = 255
    req = GenerationRequest(
        prompt="a red star", model=str(tiny_sd_dir), mode="inpaint", init_image=img, mask=mask,
        steps=3, strength=1.0, seed=2, inpaint_area="only_masked", inpaint_padding=16, mask_blur=4,
    )
    events = []
    (res,) = engine.generate(req, on_event=events.append)
    frame = next(e.preview for e in events if isinstance(e, Progress) and e.preview is not None)
    box = preview_box(req, (frame.shape[1], frame.shape[0]))
    assert box == res.extra["crop_box"]
    assert preview_box(req, (frame.shape[1], frame.shape[0]), (64, 64)) == box
