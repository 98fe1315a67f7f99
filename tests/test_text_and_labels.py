"""The shared clipping and engine-label helpers."""

import math

from harness.results.labels import engine_label
from harness.text import clip, clip_start


def test_clip_says_how_much_it_cut():
    assert clip("short", 10) == "short"
    assert clip("x" * 12, 10) == "x" * 10 + "... (2 more characters)"
    assert clip_start("abcdefghij" + "END", 3) == "(10 earlier characters) ...END"
    assert clip_start("fits", 4) == "fits"


def test_engine_label_from_stored_rows():
    assert engine_label("wasmtime", "cranelift") == "wasmtime:cranelift"
    assert engine_label("native64", None) == engine_label("native64", "") == engine_label("native64", math.nan) == "native64"
    assert engine_label("ours:interp", "interp") == "ours:interp"
