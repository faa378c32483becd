"""The plans app's plans part (services)."""

__all__: list[str] = []
