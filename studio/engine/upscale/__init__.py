"""Image upscaling: the Real-ESRGAN compact generator, tiled inference, and loading upscaler files."""
