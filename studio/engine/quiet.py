"""Keep library chatter (progress bars, deprecation notes) off the user's terminal."""

from __future__ import annotations

import os
import warnings


def silence_libraries() -> None:
    # Spinning OpenMP workers starve everything else on a busy machine (the GUI thread,
    # other processes) and slow torch itself up to 100x on 2 cores; only effective
    # when set before torch is first imported.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"diffusers\..*")
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"transformers\..*")
    warnings.filterwarnings("ignore", message=r".*torchvision.*")
    warnings.filterwarnings("ignore", category=UserWarning, module=r"huggingface_hub\..*")
    import diffusers.utils.logging as dlog
    import transformers.utils.logging as tlog

    dlog.set_verbosity_error()
    dlog.disable_progress_bar()
    tlog.set_verbosity_error()
    tlog.disable_progress_bar()
