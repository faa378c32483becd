"""The plans app's meetings part (views)."""

__all__: list[str] = []
