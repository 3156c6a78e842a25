"""Keep library chatter (progress bars, deprecation notes) off the user's terminal."""

from __future__ import annotations

import os
import warnings


OPENMP_SPIN_COUNT = "10000"


def limit_openmp_spinning() -> None:
    """Let idle torch CPU threads spin only briefly before they sleep.

    libgomp's default long spin starves other work on a busy 2-core machine (the GUI
    thread, other processes); OMP_WAIT_POLICY=PASSIVE fixes that but made a 20-step
    starter image 2.3x slower on an idle box (1.15 s vs 0.50 s). A short spin keeps
    the idle speed (0.50 s) and was the fastest under load too (0.57 s vs 0.75 s
    passive, next to a niced 2-thread job). Only effective before torch is imported.
    """
    if "OMP_WAIT_POLICY" not in os.environ:
        os.environ.setdefault("GOMP_SPINCOUNT", OPENMP_SPIN_COUNT)


def silence_libraries() -> None:
    limit_openmp_spinning()
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    # diffusers imports onnxruntime when it is installed (for OnnxRuntimeModel); onnxruntime 1.32 then
    # reports to mobile.events.data.microsoft.com after ~30 s unless this is set before it loads
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
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
