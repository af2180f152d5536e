"""The GAN lab: a two-dimensional GAN trained live, to watch the course's objective at work."""
