"""gan_demo: train and explore likelihood-free deep generative models (AE, VAE, DCGAN, AE+GAN)."""

__version__ = "0.1.0"
