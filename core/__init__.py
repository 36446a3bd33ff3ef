"""Plumbing shared by the registry and alerts apps: page access and one-time form tokens, the
audit trail's request note, sign-in throttling and the health check."""
