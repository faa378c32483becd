"""The plans app's agreements part (views)."""

__all__: list[str] = []
