"""Reports: rendered from the results store alone, never by running engines."""
