"""Models: the registry of architectures, custom layers, gate costs, saving."""
