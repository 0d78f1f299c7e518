"""Participants and their pseudonyms, referrals to contract lots, and outcome events."""
