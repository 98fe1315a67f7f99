"""Our own WebAssembly engine, structured like the spec: binary -> syntax -> valid -> runtime -> exec -> tiers.

It is a library: nothing under ``harness.engine`` imports the rest of the harness.
The embedding API lives in :mod:`harness.engine.api`.
"""
