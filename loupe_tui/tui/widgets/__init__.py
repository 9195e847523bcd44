"""Widgets of the terminal app: each draws one view and posts messages."""
