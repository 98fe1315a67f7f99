"""Spec conformance runner: ``.wast`` scripts -> per-assertion outcomes on any engine.

Stages, one module each: ``convert`` (wast -> JSON commands, cached), ``script`` (the command model),
``values`` (raw values and matching), ``executor`` (runs commands against an in-process ``Driver``),
``worker`` (the subprocess that hosts in-process engines), ``drivers`` (one per runtime),
``runner`` (files x engines with timeouts and crash isolation), ``expectations`` (known failures),
``summary`` (matrix / JSON) and ``cli`` (``harness spec``).
"""
