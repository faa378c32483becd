"""What the plans app's pages share."""
