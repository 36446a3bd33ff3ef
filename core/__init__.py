"""Plumbing shared by the registry and alerts apps: page access, one-time form tokens and the
list and form helpers of the pages, the audit trail's request note, sign-in throttling and the
health check."""
