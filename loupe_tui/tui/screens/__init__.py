"""Screens of the terminal app: one per mode."""
