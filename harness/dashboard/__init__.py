"""The nightly dashboard: a static site rendered from a history store (``harness dashboard``)."""
