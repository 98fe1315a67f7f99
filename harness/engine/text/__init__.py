"""The WebAssembly text format (wasm 2.0): ``parse_module(src) -> bytes``.

Stages, after the spec's reference interpreter: :mod:`.lexer` (tokens, comments, annotations),
:mod:`.numbers` (integer and float literals, rounded once and exactly), :mod:`.parser` (identifier
resolution and desugaring of the abbreviations into :class:`harness.engine.syntax.Module`), then the binary
encoder of :mod:`harness.engine.binary.encode`.  :mod:`.script` cuts a ``.wast`` script into its commands.

Usage::

    from harness.engine.text import parse_module, parse_script
    wasm = parse_module(open("prog.wat").read())         # bytes; MalformedError(message with line:col)
    for cmd in parse_script(open("t.wast").read()):      # cmd.kind, cmd.text, cmd.line, cmd.children
        if cmd.kind == "module":
            wasm = parse_module(cmd.text)
"""

from __future__ import annotations

import sys

from ..errors import MalformedError
from ..syntax import Module
from .lexer import ID, KEYWORD, LPAR, RPAR, STRING, error, tokenize
from .parser import ModuleParser
from .script import Command, parse_script, parse_value

__all__ = ["parse_module", "parse_module_ast", "parse_script", "parse_value", "Command", "MalformedError"]


def _encode(m: Module) -> bytes:
    from ..binary.encode import encode_module

    return encode_module(m)


_RECURSION_LIMIT = 200_000  # the parser recurses once or twice per nesting level of blocks


def parse_module_ast(src: str) -> Module | bytes:
    """Parse module text to a :class:`Module`, or to the bytes of a ``(module binary ...)``."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, _RECURSION_LIMIT))
    try:
        return _parse(src)
    except RecursionError:
        raise MalformedError("module nests too deeply for the text parser") from None
    finally:
        sys.setrecursionlimit(old)


def parse_module(src: str) -> bytes:
    """Binary encoding of the module in ``src``: a ``(module ...)`` (with an optional ``$id``), its
    ``binary``/``quote`` forms, or a bare sequence of module fields.  Raises MalformedError with line:col."""
    m = parse_module_ast(src)
    if isinstance(m, bytes):
        return m
    return _encode(m)


def _parse(src: str) -> Module | bytes:
    tokens = tokenize(src)
    n = len(tokens)
    if n >= 2 and tokens[0].kind == LPAR and tokens[1].kind == KEYWORD and tokens[1].text == "module":
        i = 2
        if i < n and tokens[i].kind == ID:
            i += 1
        if i < n and tokens[i].kind == KEYWORD and tokens[i].text in ("binary", "quote"):
            form = tokens[i].text
            i += 1
            parts = []
            while i < n and tokens[i].kind == STRING:
                parts.append(tokens[i].value or b"")
                i += 1
            _expect_close(src, tokens, i)
            data = b"".join(parts)
            if form == "binary":
                return data
            try:
                inner = data.decode("utf-8")
            except UnicodeDecodeError as e:
                raise MalformedError(
                    f"malformed UTF-8 encoding in quoted module at byte {e.start}", e.start
                ) from None
            return _parse(inner)
        end = _matching(src, tokens, 0)
        module = ModuleParser(src, tokens, i, end).parse()
        if end != n - 1:
            tok = tokens[end + 1]
            raise error(src, tok.offset, f"unexpected token {tok.text} after the module")
        return module
    return ModuleParser(src, tokens, 0, n).parse()


def _matching(src: str, tokens: list, i: int) -> int:
    depth = 0
    for j in range(i, len(tokens)):
        k = tokens[j].kind
        if k == LPAR:
            depth += 1
        elif k == RPAR:
            depth -= 1
            if depth == 0:
                return j
    raise error(src, len(src), "unexpected end of input")


def _expect_close(src: str, tokens: list, i: int) -> None:
    if i >= len(tokens):
        raise error(src, len(src), "unexpected end of input")
    if tokens[i].kind != RPAR:
        raise error(src, tokens[i].offset, f"unexpected token {tokens[i].text}")
    if i != len(tokens) - 1:
        raise error(src, tokens[i + 1].offset, f"unexpected token {tokens[i + 1].text} after the module")
