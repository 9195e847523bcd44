"""Reusable VisPy visuals: each one GL program, drawn into the viewport it is given."""
