"""The plans app's pages, one module per part (``common.py`` for what they share)."""
