"""The plans app's plans part (forms)."""

__all__: list[str] = []
