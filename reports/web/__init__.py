"""The report pages (URL names ``web:exposure-report`` and ``web:vendor-report``)."""
