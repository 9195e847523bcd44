"""Loaders: data sources, label formats, decimation pyramid (no GUI imports)."""
