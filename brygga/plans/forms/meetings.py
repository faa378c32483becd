"""The plans app's meetings part (forms)."""

__all__: list[str] = []
