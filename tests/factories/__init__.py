"""Keyword-only factories for test data."""
