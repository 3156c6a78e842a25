"""Inpainting procedure (studio.engine.inpaint) on real tiny diffusers inpaint pipelines."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from studio.engine import masks as M
from studio.engine.inpaint import InpaintPlan, inpaint_image
from studio.engine.request import GenerationRequest

pytestmark = [pytest.mark.filterwarnings("ignore"), pytest.mark.usefixtures("one_torch_thread")]



def _load_inpaint_pipe(folder):
    from diffusers import AutoPipelineForInpainting, StableDiffusionPipeline

    base = StableDiffusionPipeline.from_pretrained(
        folder, local_files_only=True, safety_checker=None, requires_safety_checker=False
    )
    pipe = AutoPipelineForInpainting.from_pipe(base)
    pipe.set_progress_bar_config(disable=True)
    return pipe


@pytest.fixture(scope="module")
def pipe4(tiny_sd_dir):
    return _load_inpaint_pipe(tiny_sd_dir)


@pytest.fixture(scope="module")
def pipe9(tiny_sd_inpaint_dir):
    return _load_inpaint_pipe(tiny_sd_inpaint_dir)


class Runner:
    """A real ``run`` closure on a diffusers inpaint pipeline; remembers what it was given."""

    def __init__(self, pipe, steps=3, seed=7):
        self.pipe, self.steps, self.seed = pipe, steps, seed
        self.calls = []

    def __call__(self, image, mask, width, height, *, strength=None):
        assert isinstance(image, Image.Image) and isinstance(mask, Image.Image)
        assert image.size == (width, height) == mask.size and width % 8 == 0 and height % 8 == 0
        self.calls.append({"image": np.asarray(image).copy(), "mask": np.asarray(mask).copy(), "strength": strength})
        out = self.pipe(
            prompt="a blue circle",
            image=image,
            mask_image=mask,
            width=width,
            height=height,
            strength=0.75 if strength is None else strength,
            num_inference_steps=self.steps,
            guidance_scale=1.0,
            generator=torch.Generator().manual_seed(self.seed),
            output_type="np",
        ).images[0]
        return (np.clip(out, 0, 1) * 255).round().astype(np.uint8)


def _image(h, w, seed=0):
    rng = np.random.default_rng(seed)
    base = np.zeros((h, w, 3), np.uint8)
    base[..., 0] = np.linspace(30, 220, w, dtype=np.uint8)[None, :]
    base[..., 1] = np.linspace(200, 40, h, dtype=np.uint8)[:, None]
    base[..., 2] = 90
    return np.clip(base.astype(int) + rng.integers(-8, 9, base.shape), 0, 255).astype(np.uint8)


def _request(img, mask, **kw):
    kw.setdefault("steps", 3)
    return GenerationRequest(prompt="a blue circle", mode="inpaint", init_image=img, mask=mask, **kw)


def _check_outside_exact_inside_changed(img, mask, out, extra):
    alpha = extra["alpha"]
    assert out.shape == img.shape and out.dtype == np.uint8
    assert (out[alpha == 0] == img[alpha == 0]).all(), "a pixel outside the blurred mask changed"
    assert (alpha[mask > 0] > 0).all()
    changed = (out != img).any(axis=2)
    assert changed[mask > 0].mean() > 0.9, "the masked region was not repainted"


# -- whole picture / only masked, 4-channel UNet --------------------------------------


def test_whole_picture_odd_size_outside_exact_inside_changed(pipe4):
    img = _image(45, 67)
    mask = np.zeros((45, 67), np.uint8)
    mask[12:25, 30:44] = 255
    run = Runner(pipe4)
    req = _request(img, mask, inpaint_area="whole", mask_blur=4)
    out, extra = inpaint_image(run, req, 1, native_size=(64, 64), unet_in_channels=4)
    _check_outside_exact_inside_changed(img, mask, out, extra)
    assert extra["crop_box"] == (0, 0, 67, 45)
    assert extra["gen_size"] == (72, 48)  # padded up to the latent grid, not resized
    assert (extra["mask"] == mask).all()
    assert extra["inpaint"] == {
        "mode": "whole",
        "padding": 32,
        "blur": 4,
        "strength": 0.75,
        "masked_content": "original",
        "unet": "latent_blend",
        "colour_offset": extra["inpaint"]["colour_offset"],
    }
    # the support of the feathered alpha is the mask grown by the blur
    assert ((extra["alpha"] > 0) == (M.grow(mask, 4) > 0)).all()
    # the model's mask is snapped to whole 8x8 latent cells and covers the soft edge
    model_mask = run.calls[0]["mask"]
    assert set(np.unique(model_mask)) <= {0, 255}
    cells = model_mask.reshape(6, 8, 9, 8)
    assert ((cells.min(axis=(1, 3)) == cells.max(axis=(1, 3)))).all()
    assert (model_mask[:45, :67][extra["alpha"] > 0] == 255).all()
    assert run.calls[0]["strength"] == 0.75


def test_only_masked_crops_generates_at_model_size_and_pastes_back(pipe4):
    img = _image(151, 203, seed=1)
    mask = np.zeros((151, 203), np.uint8)
    mask[60:75, 120:131] = 255
    run = Runner(pipe4)
    boxes = []

    def on_crop(box, size):
        assert not run.calls, "on_crop must come before the model runs"
        boxes.append((box, size))

    req = _request(img, mask, inpaint_area="only_masked", inpaint_padding=10, mask_blur=4)
    out, extra = inpaint_image(run, req, 3, native_size=(64, 64), unet_in_channels=4, on_crop=on_crop)
    _check_outside_exact_inside_changed(img, mask, out, extra)
    x0, y0, x1, y1 = extra["crop_box"]
    assert boxes == [((x0, y0, x1, y1), (64, 64))]
    assert x1 - x0 == y1 - y0, "crop grown to the model's square aspect"
    assert x0 <= 120 - 4 - 10 and x1 >= 131 + 4 + 10 and y0 <= 60 - 14 and y1 >= 75 + 14
    assert extra["gen_size"] == (64, 64)
    assert run.calls[0]["image"].shape == (64, 64, 3)
    outside = np.ones((151, 203), bool)
    outside[y0:y1, x0:x1] = False
    assert (out[outside] == img[outside]).all()
    assert extra["inpaint"]["mode"] == "only_masked" and extra["inpaint"]["padding"] == 10


@pytest.mark.parametrize(
    "size,rect",
    [
        ((45, 67), (0, 0, 9, 7)),  # top-left corner
        ((45, 67), (60, 38, 67, 45)),  # bottom-right corner
        ((37, 91), (0, 10, 91, 15)),  # a band across the full width of a flat image
        ((99, 29), (20, 0, 29, 99)),  # full height on the right edge of a tall image
    ],
)
def test_only_masked_geometry_at_borders_and_odd_sizes(pipe4, size, rect):
    h, w = size
    img = _image(h, w, seed=2)
    mask = np.zeros((h, w), np.uint8)
    x0, y0, x1, y1 = rect
    mask[y0:y1, x0:x1] = 255
    run = Runner(pipe4, steps=2)
    req = _request(img, mask, inpaint_area="only_masked", inpaint_padding=6, mask_blur=2)
    out, extra = inpaint_image(run, req, 5, native_size=(64, 64), unet_in_channels=4)
    _check_outside_exact_inside_changed(img, mask, out, extra)
    bx0, by0, bx1, by1 = extra["crop_box"]
    assert 0 <= bx0 < bx1 <= w and 0 <= by0 < by1 <= h
    assert M.bbox(extra["alpha"])[0] >= bx0 and M.bbox(extra["alpha"])[2] <= bx1
    gw, gh = extra["gen_size"]
    assert gw % 8 == 0 and gh % 8 == 0 and abs(gw * gh - 64 * 64) <= 0.25 * 64 * 64


def test_plan_reports_box_before_running():
    img = _image(100, 100)
    mask = np.zeros((100, 100), np.uint8)
    mask[40:50, 40:50] = 255
    plan = InpaintPlan(_request(img, mask, inpaint_area="only_masked", inpaint_padding=8, mask_blur=0), (64, 64))
    assert plan.box == (32, 32, 58, 58) and plan.gen_size == (64, 64) and plan.resized


# -- 9-channel inpainting UNet --------------------------------------------------------


def test_nine_channel_inpaint_unet_path(pipe9):
    assert pipe9.unet.config.in_channels == 9
    img = _image(64, 64, seed=4)
    mask = np.zeros((64, 64), np.uint8)
    mask[20:44, 16:40] = 255
    run = Runner(pipe9)
    req = _request(img, mask, strength=1.0, mask_blur=6)
    out, extra = inpaint_image(run, req, 11, native_size=(64, 64), unet_in_channels=9)
    _check_outside_exact_inside_changed(img, mask, out, extra)
    assert extra["inpaint"]["unet"] == "inpaint_unet"
    # same seed through the 4-channel model gives a different result: the path differs
    assert run.calls[0]["image"].shape == (64, 64, 3)


def test_four_and_nine_channel_results_differ(pipe4, pipe9):
    img = _image(64, 64, seed=4)
    mask = np.zeros((64, 64), np.uint8)
    mask[20:44, 16:40] = 255
    req = _request(img, mask, strength=1.0)
    out4, e4 = inpaint_image(Runner(pipe4), req, 11, native_size=(64, 64), unet_in_channels=4)
    out9, e9 = inpaint_image(Runner(pipe9), req, 11, native_size=(64, 64), unet_in_channels=9)
    assert e4["inpaint"]["unet"] == "latent_blend" and e9["inpaint"]["unet"] == "inpaint_unet"
    inside = mask > 0
    assert (out4[inside] != out9[inside]).any()
    outside = e4["alpha"] == 0
    assert (out4[outside] == out9[outside]).all()


# -- masked content, colour matching, outpainting -------------------------------------


def test_fresh_noise_masked_content(pipe4):
    img = _image(64, 64, seed=5)
    mask = np.zeros((64, 64), np.uint8)
    mask[16:40, 24:48] = 255
    run = Runner(pipe4)
    req = _request(img, mask, masked_content="noise", strength=0.6)
    out, extra = inpaint_image(run, req, 2, native_size=(64, 64), unet_in_channels=4)
    _check_outside_exact_inside_changed(img, mask, out, extra)
    call = run.calls[0]
    assert call["strength"] == 1.0
    given = call["image"]
    on = call["mask"] > 0
    assert (given[~on] == img[~on]).all(), "only the model's masked area is filled"
    assert np.abs(given[on].astype(int) - img[on]).mean() > 20
    assert extra["inpaint"]["masked_content"] == "noise" and extra["inpaint"]["strength"] == 0.6


def test_colour_match_removes_a_uniform_colour_drift(pipe4):
    """The VAE's colour drift (simulated: the real model's output shifted by +40 red)
    is measured on kept pixels around the mask and removed from the repainted region."""
    img = np.full((64, 64, 3), 120, np.uint8)
    mask = np.zeros((64, 64), np.uint8)
    mask[24:40, 24:40] = 255
    real = Runner(pipe4)

    def drifting(image, mask_img, width, height, *, strength=None):
        # a model that reproduces the unmasked context perfectly except for a colour drift
        arr = np.asarray(image).astype(int).copy()
        painted = mask > 0
        arr[painted] = np.asarray(real(image, mask_img, width, height, strength=strength))[painted]
        arr[..., 0] += 40  # everything the pipeline returns drifts, kept area included
        return np.clip(arr, 0, 255).astype(np.uint8)

    req = _request(img, mask, mask_blur=8)
    matched, extra = inpaint_image(drifting, req, 1, native_size=(64, 64), unet_in_channels=4)
    raw, _ = inpaint_image(drifting, req, 1, native_size=(64, 64), unet_in_channels=4, colour_match=False)
    assert extra["inpaint"]["colour_offset"][0] == pytest.approx(-40, abs=0.5)
    ring = (extra["alpha"] > 0) & (mask == 0)  # the feathered edge
    err_matched = np.abs(matched[ring].astype(int) - img[ring]).mean()
    err_raw = np.abs(raw[ring].astype(int) - img[ring]).mean()
    assert err_matched < 1.0 < err_raw


def test_no_seam_on_the_latent_grid_for_a_flat_image(pipe4):
    """Outside the feathered edge the result is the original (no 8-px blocks of VAE output)."""
    img = np.full((72, 88, 3), (60, 140, 200), np.uint8)
    mask = np.zeros((72, 88), np.uint8)
    mask[30:41, 37:50] = 255  # deliberately off the 8-px grid
    out, extra = inpaint_image(Runner(pipe4), _request(img, mask, mask_blur=4), 9, native_size=(64, 64), unet_in_channels=4)
    diff = (out != img).any(axis=2)
    assert not diff[extra["alpha"] == 0].any()
    box = M.bbox(diff.astype(np.uint8))
    grown = M.bbox(M.grow(mask, 4))
    assert box[0] >= grown[0] and box[1] >= grown[1] and box[2] <= grown[2] and box[3] <= grown[3]


@pytest.mark.parametrize("sides", [(0, 0, 24, 0), (16, 8, 0, 0)])
def test_outpainting_extends_fills_and_keeps_the_original(pipe4, sides):
    left, top, right, bottom = sides
    img = _image(48, 56, seed=6)
    new, mask = M.extend_canvas(img, left, top, right, bottom, mask_blur=4)
    assert new.shape == (48 + top + bottom, 56 + left + right, 3)
    out, extra = inpaint_image(Runner(pipe4), _request(new, mask, mask_blur=4), 4, native_size=(64, 64), unet_in_channels=4)
    assert out.shape == new.shape
    assert (out[top : top + 48, left : left + 56] == img).all(), "the original region must stay intact"
    new_area = np.ones(mask.shape, bool)
    new_area[top : top + 48, left : left + 56] = False
    assert (out[new_area] != new[new_area]).any(axis=-1).mean() > 0.5
