"""Demo data loaded through the real services."""
