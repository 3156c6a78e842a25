"""The starter recipe's settings as data: the UNet stages' options and the tuning file's name.

Kept apart from the training code so the model card, the evaluation and the
trainers can all name them without importing each other.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_DEST = Path(__file__).resolve().parents[2] / "resources" / "models" / "starter"  # where the model is exported

COMMON_ARGS = ["--batch", "16", "--refresh", "2", "--pool-size", "3072"]
MAIN_STAGE = ["--decay-minutes", "0", "--high-t-frac", "0.6", "--high-t-min", "800"]
# The layout stage: most steps at the noisiest timesteps, where the prompt alone must place each object,
# on one-object scenes with every attribute named. Without it position words stayed ignored (see the card).
LAYOUT_STAGE = ["--high-t-frac", "0.7", "--high-t-min", "900", "--one-object-frac", "0.7", "--full-caption-frac", "0.7",
                "--decay-minutes", "10"]
# The pairs stage: the same on two-object scenes, where each colour must go to its own object's place.
# After the layout stage two-object prompts were the weak half (the other object's colour in the region).
PAIRS_STAGE = ["--high-t-frac", "0.6", "--high-t-min", "900", "--two-object-frac", "0.7", "--full-caption-frac", "0.7",
               "--decay-minutes", "12"]

TUNING_FILE = "studio_guidance_tuning.json"  # tune-cfg's sweep, written beside the exported model
