"""The engine on tiny local pipelines: seeds, batches, schedulers, previews, cancel, img2img."""

from __future__ import annotations

import numpy as np
import pytest

from studio.engine.errors import GenerationCancelled, InvalidRequest
from studio.engine.events import CancelFlag, Progress
from studio.engine.request import GenerationRequest, Mode
from studio.engine.schedulers import SCHEDULER_NAMES


@pytest.fixture(scope="module")
def engine():
    from studio.engine.generator import Engine, EngineSettings

    return Engine(EngineSettings(preview_every=1))


def _req(model, **kw):
    kw.setdefault("prompt", "a red circle on the left")
    kw.setdefault("steps", 6)
    kw.setdefault("seed", 1234)
    return GenerationRequest(model=str(model), **kw)


def test_same_seed_gives_same_pixels(engine, tiny_sd_dir):
    a = engine.generate(_req(tiny_sd_dir))[0]
    b = engine.generate(_req(tiny_sd_dir))[0]
    c = engine.generate(_req(tiny_sd_dir, seed=99))[0]
    assert a.image.dtype == np.uint8 and a.image.shape == (64, 64, 3)
    assert np.array_equal(a.image, b.image)
    assert not np.array_equal(a.image, c.image)
    assert a.seed == 1234 and a.model_hash and len(a.model_hash) == 10


def test_random_seed_is_recorded_and_reproducible(engine, tiny_sd_dir):
    first = engine.generate(_req(tiny_sd_dir, seed=-1))[0]
    assert 0 <= first.seed < 2**32
    again = engine.generate(_req(tiny_sd_dir, seed=first.seed))[0]
    assert np.array_equal(first.image, again.image)


def test_batch_uses_consecutive_seeds_and_matches_single_runs(engine, tiny_sd_dir):
    batch = engine.generate(_req(tiny_sd_dir, seed=10, batch_size=3))
    assert [img.seed for img in batch] == [10, 11, 12]
    assert [img.index for img in batch] == [0, 1, 2]
    assert not np.array_equal(batch[0].image, batch[1].image)
    single = engine.generate(_req(tiny_sd_dir, seed=11))[0]
    assert np.array_equal(batch[1].image, single.image)


@pytest.mark.parametrize("scheduler", SCHEDULER_NAMES)
def test_every_scheduler_name_runs_with_previews(engine, tiny_sd_dir, scheduler):
    events = []
    out = engine.generate(_req(tiny_sd_dir, scheduler=scheduler, steps=4), on_event=events.append)
    steps = [e for e in events if isinstance(e, Progress)]
    assert [e.step for e in steps] == [1, 2, 3, 4]
    assert all(e.preview is not None and e.preview.shape == (8, 8, 3) for e in steps)
    assert out[0].image.shape == (64, 64, 3)
    assert out[0].request.scheduler == scheduler


def test_previews_are_uint8_at_latent_resolution(engine, tiny_sd_dir):
    events = []
    engine.generate(_req(tiny_sd_dir, steps=3, width=128, height=64), on_event=events.append)
    previews = [e.preview for e in events if isinstance(e, Progress)]
    assert [p.shape for p in previews] == [(8, 16, 3)] * 3
    assert all(p.dtype == np.uint8 for p in previews)


def test_preview_every_k_steps(tiny_sd_dir):
    from studio.engine.generator import Engine, EngineSettings

    engine = Engine(EngineSettings(preview_every=3))
    events = []
    engine.generate(_req(tiny_sd_dir, steps=7), on_event=events.append)
    progress = [e for e in events if isinstance(e, Progress)]
    assert len(progress) == 7
    assert [e.step for e in progress if e.preview is not None] == [3, 6, 7]
    assert progress[-1].eta == 0 and progress[-1].elapsed > 0


def test_cancel_stops_within_a_step_and_never_decodes(engine, tiny_sd_dir):
    loaded = engine._loaded(str(tiny_sd_dir), None)
    decodes = []
    hook = loaded.base.vae.decoder.register_forward_hook(lambda *a: decodes.append(1))
    cancel = CancelFlag()
    seen = []

    def on_event(event):
        if isinstance(event, Progress):
            seen.append(event.step)
            if event.step == 3:
                cancel.set()

    try:
        with pytest.raises(GenerationCancelled) as info:
            engine.generate(_req(tiny_sd_dir, steps=20), on_event=on_event, cancel=cancel)
    finally:
        hook.remove()
    assert seen == [1, 2, 3]
    assert info.value.step == 4 and info.value.total == 20  # the step in flight finished, no more
    assert decodes == []
    # The engine is immediately ready for the next request.
    assert engine.generate(_req(tiny_sd_dir, steps=3))[0].image.shape == (64, 64, 3)


def test_cancel_before_start(engine, tiny_sd_dir):
    cancel = CancelFlag()
    cancel.set()
    with pytest.raises(GenerationCancelled):
        engine.generate(_req(tiny_sd_dir), cancel=cancel)


def test_img2img_strength_controls_change(engine, tiny_sd_dir):
    init = np.zeros((64, 64, 3), np.uint8)
    init[:, :32] = (220, 40, 40)
    init[:, 32:] = (40, 70, 220)
    diffs = {}
    for strength in (0.2, 0.9):
        events = []
        out = engine.generate(
            _req(tiny_sd_dir, mode=Mode.IMG2IMG, init_image=init, strength=strength, steps=10),
            on_event=events.append,
        )[0]
        totals = {e.total for e in events if isinstance(e, Progress)}
        assert totals == {int(10 * strength)}
        diffs[strength] = np.abs(out.image.astype(int) - init).mean()
    assert diffs[0.2] < diffs[0.9]


def test_img2img_resizes_init_to_requested_size(engine, tiny_sd_dir):
    init = np.full((50, 70, 3), 128, np.uint8)
    out = engine.generate(_req(tiny_sd_dir, mode=Mode.IMG2IMG, init_image=init, strength=0.5))[0]
    assert out.image.shape == (50, 70, 3)  # native size: generated at the model's budget, scaled back
    out = engine.generate(_req(tiny_sd_dir, mode=Mode.IMG2IMG, init_image=init, width=64, height=64))[0]
    assert out.image.shape == (64, 64, 3)


def test_img2img_odd_inits_run_at_the_native_pixel_budget(engine, tiny_sd_dir):
    from studio.engine.sizing import budget_size

    native = engine.load(str(tiny_sd_dir))
    nw, nh = native.native_width, native.native_height
    for shape in [(1, 1), (300, 5000)]:  # a 1x1 init used to fail; 5000x300 ran at 39x the pixel count
        init = np.full((*shape, 3), 90, np.uint8)
        w, h = budget_size((shape[1], shape[0]), (nw, nh))
        assert w * h <= 1.5 * nw * nh and min(w, h) >= 16
        out = engine.generate(_req(tiny_sd_dir, mode=Mode.IMG2IMG, init_image=init, strength=0.5, steps=2))[0]
        assert out.image.shape == (*shape, 3)


def test_img2img_with_no_step_left_is_a_clear_error(engine, tiny_sd_dir):
    init = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(InvalidRequest, match="no step"):
        engine.generate(_req(tiny_sd_dir, mode=Mode.IMG2IMG, init_image=init, strength=0.01, steps=10))


def test_sdxl_family_generates(engine, tiny_sdxl_dir):
    events = []
    out = engine.generate(_req(tiny_sdxl_dir, steps=3, batch_size=2), on_event=events.append)
    assert engine.load(str(tiny_sdxl_dir)).family == "sdxl"
    assert [o.image.shape for o in out] == [(64, 64, 3)] * 2
    assert sum(isinstance(e, Progress) for e in events) == 6


def test_non_native_size(engine, tiny_sd_dir):
    out = engine.generate(_req(tiny_sd_dir, width=96, height=48, steps=2))[0]
    assert out.image.shape == (48, 96, 3)
    assert out.request.width == 96 and out.request.height == 48
