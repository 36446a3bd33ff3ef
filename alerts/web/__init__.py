"""The alert inbox pages (URL names ``web:alert-…``, mounted at ``/alerts/``)."""
