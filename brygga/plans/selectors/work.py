"""The plans app's work part (selectors)."""

__all__: list[str] = []
