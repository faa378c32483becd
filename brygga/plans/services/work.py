"""The plans app's work part (services)."""

__all__: list[str] = []
