"""Spreadsheet safety for exported text: one function for every CSV/Excel export."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value):
    """Neutralise spreadsheet formulas in a text cell (numbers and dates are left alone)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
