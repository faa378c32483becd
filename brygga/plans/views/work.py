"""The plans app's work part (views)."""

__all__: list[str] = []
