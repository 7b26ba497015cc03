"""Training: the Keras loop, the ridge baseline, distribution, fitting members and ensembles."""
