"""Component configs of the starter model (one place, used by training and export)."""
from __future__ import annotations

from .palette import IMAGE_SIZE
from .tokenizer import MAX_LENGTH

LATENT_CHANNELS = 4
LATENT_SIZE = IMAGE_SIZE // 8


def vae_config() -> dict:
    return dict(
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 4,
        up_block_types=["UpDecoderBlock2D"] * 4,
        block_out_channels=[32, 64, 128, 128],
        layers_per_block=1,
        act_fn="silu",
        latent_channels=LATENT_CHANNELS,
        # few groups: on flat-colour images a GroupNorm with 2 channels per group
        # erases the absolute colour (each group is normalised to +-1); 8+ per group keeps it
        norm_num_groups=4,
        sample_size=IMAGE_SIZE,
        scaling_factor=1.0,  # replaced by 1/std of the latents after VAE training
    )


def text_encoder_config(vocab_size: int, bos_id: int, eos_id: int, pad_id: int) -> dict:
    return dict(
        vocab_size=vocab_size,
        hidden_size=128,
        intermediate_size=512,
        num_hidden_layers=3,
        num_attention_heads=4,
        max_position_embeddings=MAX_LENGTH,
        hidden_act="quick_gelu",
        projection_dim=128,
        bos_token_id=bos_id,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
    )


def unet_config(cross_attention_dim: int = 128) -> dict:
    return dict(
        sample_size=LATENT_SIZE,
        in_channels=LATENT_CHANNELS,
        out_channels=LATENT_CHANNELS,
        # no attention at 16x16 (costs 2x in training); cross-attention at 8x8 and 4x4
        down_block_types=["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
        up_block_types=["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
        mid_block_type="UNetMidBlock2DCrossAttn",
        block_out_channels=[64, 128, 128],
        layers_per_block=1,
        cross_attention_dim=cross_attention_dim,
        attention_head_dim=4,  # diffusers: number of heads for these block types
        norm_num_groups=8,  # >= 8 channels per group, see vae_config
    )


def scheduler_config(prediction_type: str = "v_prediction") -> dict:
    """SD 1.5 DDPM betas rescaled to zero terminal SNR, v-prediction, trailing timesteps.

    With the plain SD 1.5 schedule the noisiest training step still holds ~7% of
    the image: the model learned to read the layout from the noise and ignored
    "left"/"top" in the prompt (the seed alone decided where objects went). At
    zero terminal SNR the first sampling step sees pure noise, as in training,
    so the layout has to come from the text (Lin et al. 2023, "Common Diffusion
    Noise Schedules and Sample Steps are Flawed"). Euler, Euler a, DDIM, DPM++
    and UniPC read these settings through from_config.
    """
    return dict(
        _class_name="DDPMScheduler",
        num_train_timesteps=1000,
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
        prediction_type=prediction_type,
        rescale_betas_zero_snr=True,
        timestep_spacing="trailing",
        trained_betas=None,
        variance_type="fixed_small",
    )
