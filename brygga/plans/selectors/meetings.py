"""The plans app's meetings part (selectors)."""

__all__: list[str] = []
