"""Live painting, the engine side: live settings per model, few-step recipes, dirty regions, the soft stop."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from studio.engine import live as L
from studio.engine.errors import GenerationCancelled
from studio.engine.events import CancelFlag, Progress
from studio.engine.request import GenerationRequest, Mode
from studio.engine.schedulers import SCHEDULER_NAMES, make_scheduler

STARTER = Path(__file__).resolve().parent.parent / "resources" / "models" / "starter"


@pytest.mark.parametrize("steps,strength", [(1, 0.5), (2, 0.5), (3, 0.35), (4, 0.9), (4, 0.05), (2, 1.0)])
def test_request_steps_make_img2img_run_exactly_the_live_steps(steps, strength):
    n = L.LiveSettings(steps=steps, strength=strength).request_steps()
    assert min(int(n * strength), n) == steps  # what the engine runs (generator._expected_steps)


@pytest.mark.parametrize("names,scheduler_class,recipe,steps,cfg,sampler", [
    (["dreamshaper", "lcm-lora-sdv1-5"], "", "LCM", 4, 1.0, "LCM"),
    (["LCM_Dreamshaper_v7"], "", "LCM", 4, 1.0, "LCM"),
    (["my-model"], "LCMScheduler", "LCM", 4, 1.0, "LCM"),
    (["sd-turbo"], "", "Turbo", 2, 0.0, "Euler a"),
    (["sdxl_turbo_1.0_fp16"], "", "Turbo", 2, 0.0, "Euler a"),
    (["Hyper-SD15-8steps-lora"], "", "Hyper-SD", 8, 1.0, "Euler trailing"),
    (["sdxl_lightning_2step_lora"], "", "Lightning", 2, 1.0, "Euler trailing"),
    (["SDXL-Lightning"], "", "Lightning", 4, 1.0, "Euler trailing"),
])
def test_few_step_recipes_are_recognised(tmp_path, names, scheduler_class, recipe, steps, cfg, sampler):
    folder = None
    if scheduler_class:
        folder = tmp_path / "model"
        (folder / "scheduler").mkdir(parents=True)
        (folder / "scheduler" / "scheduler_config.json").write_text(json.dumps({"_class_name": scheduler_class}))
    model, loras = names[0], names[1:]
    s = L.live_defaults(model, folder, loras)
    assert (s.recipe, s.steps, s.cfg_scale, s.scheduler) == (recipe, steps, cfg, sampler)
    assert s.scheduler in SCHEDULER_NAMES


def test_plain_models_get_the_generic_settings_and_words_that_only_contain_lcm_do_not_match():
    assert L.live_defaults("dreamshaper_8") == L.GENERIC
    assert L.live_defaults("realisticvision-calcmodel") == L.GENERIC  # "calcmodel" is not LCM


def test_the_starter_ships_tuned_live_settings_and_a_lora_recipe_goes_first():
    s = L.live_defaults("starter", STARTER)
    assert (s.steps, s.strength, s.cfg_scale, s.scheduler, s.recipe) == (2, 0.5, 1.0, "Euler", "")
    assert L.live_defaults("starter", STARTER, ["lcm-lora"]).recipe == "LCM"


def test_live_file_and_saved_values_are_checked(tmp_path):
    (tmp_path / L.LIVE_FILE).write_text(json.dumps({"steps": 99, "strength": 0.4, "scheduler": "Nope", "cfg_scale": "x"}))
    s = L.live_defaults("m", tmp_path)
    assert s.strength == 0.4 and s.steps == L.GENERIC.steps and s.scheduler == L.GENERIC.scheduler
    (tmp_path / L.LIVE_FILE).write_text("{broken")
    assert L.live_defaults("m", tmp_path) == L.GENERIC
    merged = L.merge(L.GENERIC, {"steps": 3, "cfg_scale": 2.5, "seed": -4})
    assert (merged.steps, merged.cfg_scale, merged.seed) == (3, 2.5, L.LIVE_SEED)
    assert L.merge(L.GENERIC, "nonsense") == L.GENERIC


def test_euler_trailing_uses_trailing_timesteps():
    config = json.loads((STARTER / "scheduler" / "scheduler_config.json").read_text())
    sched = make_scheduler("Euler trailing", config)
    assert sched.config.timestep_spacing == "trailing"


def test_dirty_rect_and_region_box():
    a = np.zeros((256, 256, 3), np.uint8)
    b = a.copy()
    assert L.dirty_rect(a, b) is None
    assert L.dirty_rect(None, b) == (0, 0, 256, 256)
    assert L.dirty_rect(a[:128], b) == (0, 0, 256, 256)
    b[100:110, 40:45, 1] = 9
    assert L.dirty_rect(a, b) == (40, 100, 45, 110)
    # a small change on a picture bigger than the native size: the rect plus padding
    assert L.region_box((40, 100, 45, 110), (256, 256), (64, 64), padding=16) == (24, 84, 61, 126)
    assert L.region_box((40, 100, 45, 110), (256, 256), (256, 256)) is None  # at native size: whole picture
    assert L.region_box((0, 0, 200, 200), (256, 256), (64, 64)) is None  # too big a change
    init, mask = L.region_inputs(b, np.full((256, 256, 3), 7, np.uint8), (40, 100, 45, 110), grow=2)
    assert mask[99, 39] == 255 and mask[97, 37] == 0 and mask.sum() == 255 * 9 * 14
    assert tuple(init[0, 0]) == (7, 7, 7) and tuple(init[105, 42]) == (0, 9, 0)


def test_a_soft_stop_ends_the_job_right_after_its_first_preview(tiny_sd_dir, one_torch_thread):
    from studio.engine.generator import Engine, EngineSettings

    engine = Engine(EngineSettings(preview_every=1))
    init = np.full((64, 64, 3), 200, np.uint8)
    request = GenerationRequest(prompt="a red circle", model=str(tiny_sd_dir), mode=Mode.IMG2IMG, init_image=init,
                                steps=8, strength=1.0, seed=1)
    flag = CancelFlag()
    flag.set_after_frame()
    events = []
    with pytest.raises(GenerationCancelled):
        engine.generate(request, on_event=events.append, cancel=flag)
    progress = [e for e in events if isinstance(e, Progress)]
    assert len(progress) == 1 and progress[0].preview is not None and progress[0].step == 1
    # the prompt embeddings are remembered: the same prompt again reuses them
    embeds = engine._models[next(iter(engine._models))].base._studio_prompt_cache
    engine.generate(request.replace(steps=2), cancel=CancelFlag())
    assert engine._models[next(iter(engine._models))].base._studio_prompt_cache is embeds
