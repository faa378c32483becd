"""The plans app's meetings part (services)."""

__all__: list[str] = []
