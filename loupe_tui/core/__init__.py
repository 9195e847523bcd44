"""Core: pure scoring logic (no Textual, no VisPy)."""
