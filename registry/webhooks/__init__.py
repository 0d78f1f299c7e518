"""Suppliers' webhook endpoints and notification settings: they belong to the supplier."""
