"""Views of the safety survey, one module per part (waves, imports, results)."""
