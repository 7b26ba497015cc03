"""The package version (one place, read by the package and the run provenance)."""

__version__ = "0.1.0"
