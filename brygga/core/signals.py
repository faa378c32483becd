"""Core signal handlers (none beyond the audit tracker for now)."""
