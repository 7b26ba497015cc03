"""Data layer: reading files, time handling, series layout, calendar features, preprocessing,
windows."""
