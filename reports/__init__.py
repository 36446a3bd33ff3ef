"""Printable reports for a board or a steering committee: a watchlisted party's exposure and a
vendor's one-page summary, as HTML pages and as PDF files (``reports.pdf``)."""
