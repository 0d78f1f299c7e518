"""Competitions, lots, invitations, amendments, clarifications, sealed bids and their opening."""
