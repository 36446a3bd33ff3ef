"""The procurement web pages."""
