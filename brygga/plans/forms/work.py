"""The plans app's work part (forms)."""

__all__: list[str] = []
