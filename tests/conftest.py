"""Shared by every test under ``tests/``: pytest puts this folder on ``sys.path`` for its conftest, so the
helper modules here (``stage_runs``) import the same way from any subfolder, whichever tests are selected."""
