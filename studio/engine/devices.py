"""Device and dtype choice: CUDA fp16, Apple MPS fp16, otherwise CPU fp32."""

from __future__ import annotations

from dataclasses import dataclass

from studio.engine.errors import InvalidRequest

DEVICES = ("auto", "cpu", "cuda", "mps")
DTYPES = ("auto", "float32", "float16", "bfloat16")


@dataclass(frozen=True)
class Placement:
    device: str  # "cpu", "cuda", "cuda:1", "mps"
    dtype_name: str  # "float32", "float16", "bfloat16"

    @property
    def dtype(self):
        import torch

        return getattr(torch, self.dtype_name)


def choose(device: str = "auto", dtype: str = "auto") -> Placement:
    """Resolve "auto" settings against the hardware that is actually present."""
    import torch

    device = (device or "auto").lower()
    dtype = (dtype or "auto").lower()
    if dtype not in DTYPES:
        raise InvalidRequest(f"Unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}.")
    if device == "auto":
        if torch.cuda.is_available():
            device = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            device = "mps"
        else:
            device = "cpu"
    elif device.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidRequest("CUDA was requested but no CUDA GPU is available; choose 'auto' or 'cpu'.")
    elif device == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise InvalidRequest("Apple MPS was requested but is not available here; choose 'auto' or 'cpu'.")
    elif device.split(":")[0] not in DEVICES:
        raise InvalidRequest(f"Unknown device {device!r}; choose one of {', '.join(DEVICES)}.")
    if dtype == "auto":
        dtype = "float32" if device == "cpu" else "float16"
    return Placement(device, dtype)
