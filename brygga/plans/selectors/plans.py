"""The plans app's plans part (selectors)."""

__all__: list[str] = []
