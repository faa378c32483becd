#!/usr/bin/env python
"""Convenience wrapper; the installed console script `brygga` does the same."""

from brygga.manage import main

if __name__ == "__main__":
    main()
