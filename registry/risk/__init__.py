"""Risk computation: the pure engine (``engine``) that turns an ownership graph into factors."""
