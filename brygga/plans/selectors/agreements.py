"""The plans app's agreements part (selectors)."""

__all__: list[str] = []
