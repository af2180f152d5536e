"""The training loop, its objectives, EMA, augmentation, CUDA graphs and FID tracking."""
