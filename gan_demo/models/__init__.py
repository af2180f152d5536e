"""Networks, the registry of model kinds, checkpoint files and the loader."""
