"""The plans app's agreements part (services)."""

__all__: list[str] = []
