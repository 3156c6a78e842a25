"""Studio: a desktop AI art studio built on diffusers."""

__version__ = "0.1.0"
