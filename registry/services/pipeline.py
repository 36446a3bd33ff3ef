"""The recheck pipeline (filled in with the risk engine)."""


def event_process(*, event_id: int) -> None:
    """Process an ownership event."""


def recheck_process(*, recheck_id: int) -> None:
    """Process a recheck request."""
