"""Plumbing both apps build on and neither owns: the admin and API bases, page access, form
tokens and list helpers, the audit trail's diff and request note, sign-in throttling and the
health check."""
