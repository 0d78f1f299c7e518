"""Notifications: the outbox fanned out to suppliers' webhooks and e-mail, and the one dispatcher."""
