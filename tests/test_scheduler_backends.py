"""Every sampler the UI offers can be built and stepped in this environment.

A scheduler whose optional backend is missing (scipy for LMS) is a diffusers
dummy object that fails only when built; this test builds each one from a
plain SD scheduler config and takes a step, so a missing dependency fails here.
"""

from __future__ import annotations

import pytest
import torch

from studio.engine.schedulers import SCHEDULER_NAMES, make_scheduler

SD_SCHEDULER_CONFIG = {
    "_class_name": "PNDMScheduler",
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "num_train_timesteps": 1000,
    "prediction_type": "epsilon",
    "set_alpha_to_one": False,
    "steps_offset": 1,
}


@pytest.mark.parametrize("name", SCHEDULER_NAMES)
def test_scheduler_builds_and_steps(name):
    scheduler = make_scheduler(name, SD_SCHEDULER_CONFIG)
    scheduler.set_timesteps(4)
    sample = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(0)) * scheduler.init_noise_sigma
    t = scheduler.timesteps[0]
    model_input = scheduler.scale_model_input(sample, t)
    out = scheduler.step(torch.zeros_like(model_input), t, sample, return_dict=True).prev_sample
    assert out.shape == sample.shape
    assert torch.isfinite(out).all()
