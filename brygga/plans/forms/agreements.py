"""The plans app's agreements part (forms)."""

__all__: list[str] = []
