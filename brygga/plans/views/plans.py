"""The plans app's plans part (views)."""

__all__: list[str] = []
