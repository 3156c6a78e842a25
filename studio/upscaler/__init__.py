"""The recipe that trains Studio's bundled GAN upscaler (``python -m studio.upscaler train|export|evaluate``).

A compact Real-ESRGAN generator learns to undo Real-ESRGAN-style degradations
(blur, resize, noise, JPEG, applied twice) of the starter renderer's scenes,
first with an L1 loss, then against a spectral-norm U-Net discriminator with
L1 + a feature loss (the starter VAE encoder's features) + adversarial loss.
"""
