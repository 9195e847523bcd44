"""Subcommands of ``loupe-tui``: one module each, each with ``register(subparsers)``."""
