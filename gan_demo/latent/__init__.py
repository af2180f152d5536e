"""The latent toolkit: directions, guided edits, projection, inpainting, colorization."""
