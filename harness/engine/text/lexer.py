"""Tokens of the WebAssembly text format.

The lexer follows the spec's lexical grammar: a token is a parenthesis, or a maximal run of identifier
characters and strings.  A run that is neither a single string nor made of identifier characters only is a
"reserved" token; using one is malformed ("unknown operator", as the reference interpreter says).  Comments
(``;;`` to end of line, nestable ``(; ... ;)``) and annotations ``(@name ...)`` are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import MalformedError

LPAR, RPAR, STRING, KEYWORD, ID, RESERVED = "(", ")", "string", "keyword", "id", "reserved"

IDCHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%&'*+-./:<=>?@\\^_`|~")
_ESCAPES = {"t": 9, "n": 10, "r": 13, '"': 34, "'": 39, "\\": 92}
_HEX = frozenset("0123456789abcdefABCDEF")
_IDRUN = re.compile(r"[0-9a-zA-Z!#$%&'*+\-./:<=>?@\\^_`|~]+")
# whitespace and line comments | "(" not opening a comment or annotation | ")" | an idchar run not glued to a
# string; everything else takes the careful path
_FAST = re.compile(
    r"""([ \t\n\r]+|;;[^\n\r]*)|(\()(?![;@])|(\))|([0-9a-zA-Z!#$%&'*+\-./:<=>?@\\^_`|~]++)(?!")"""
)
_PLAIN = re.compile(r'[^"\\\x00-\x1f\x7f]+')  # string characters that stand for themselves
_NEWLINE = re.compile(r"\r\n|\n|\r")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str  # source text of the token
    offset: int  # character offset in the source
    value: bytes | None = None  # decoded bytes, for strings


def line_col(src: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset, for error messages."""
    line = src.count("\n", 0, offset) + 1
    col = offset - (src.rfind("\n", 0, offset) + 1) + 1
    return line, col


def error(src: str, offset: int, message: str) -> MalformedError:
    """A MalformedError whose message ends with the line:col where it happened."""
    line, col = line_col(src, offset)
    return MalformedError(f"{message} at {line}:{col}", offset)


def _line_comment_end(src: str, i: int) -> int:
    """Where the line comment starting at ``i`` ends: after its newline, which the text format spells
    U+0A, U+0D or U+0D U+0A, or at the end of the source."""
    m = _NEWLINE.search(src, i)
    return len(src) if m is None else m.end()


def skip_block_comment(
    src: str, i: int, unclosed: str = "unclosed block comment (unexpected end of input)"
) -> int:
    """``src[i:]`` starts with ``(;``; return the offset after the matching ``;)``.

    ``unclosed`` is the error message when there is none (the script splitter words it its own way).
    """
    start, depth, n = i, 0, len(src)
    while i < n:
        if src.startswith("(;", i):
            depth += 1
            i += 2
        elif src.startswith(";)", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    raise error(src, start, unclosed)


def _scan_string(src: str, i: int) -> tuple[int, bytes]:
    """``src[i]`` is a double quote; return the offset after the closing quote and the decoded bytes."""
    start, n = i, len(src)
    out = bytearray()
    i += 1
    while True:
        m = _PLAIN.match(src, i)
        if m:
            try:
                out += m.group().encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate smuggled in through the str
                raise error(src, i, "malformed UTF-8 encoding") from None
            i = m.end()
        if i >= n:
            raise error(src, start, "unclosed string (unexpected end of input)")
        c = src[i]
        if c == '"':
            return i + 1, bytes(out)
        if c == "\\":
            if i + 1 >= n:
                raise error(src, start, "unclosed string (unexpected end of input)")
            e = src[i + 1]
            if e in _ESCAPES:
                out.append(_ESCAPES[e])
                i += 2
            elif e == "u":
                j = i + 2
                if j < n and src[j] == "{":
                    k = src.find("}", j)
                    digits = src[j + 1 : k] if k > 0 else ""
                    if _valid_hexnum(digits):
                        cp = int(digits.replace("_", ""), 16)
                        if cp < 0xD800 or 0xE000 <= cp < 0x110000:
                            out += chr(cp).encode("utf-8")
                            i = k + 1
                            continue
                raise error(src, i, "malformed UTF-8 encoding (illegal \\u escape)")
            elif e in _HEX and i + 2 < n and src[i + 2] in _HEX:
                out.append(int(src[i + 1 : i + 3], 16))
                i += 3
            else:
                raise error(src, i, "illegal escape in string (unexpected token)")
        elif c == "\n" or ord(c) < 0x20 or c == "\x7f":
            raise error(src, i, "illegal control character in string (unexpected token)")
        else:
            try:
                out += c.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate smuggled in through the str
                raise error(src, i, "malformed UTF-8 encoding") from None
            i += 1


def _string_at(src: str, i: int) -> int:
    """End offset of the string starting at ``src[i]``."""
    return _scan_string(src, i)[0]


def _valid_hexnum(s: str) -> bool:
    if not s or s[0] == "_" or s[-1] == "_" or "__" in s:
        return False
    return all(c in _HEX or c == "_" for c in s)


def _skip_annotation(src: str, i: int) -> int:
    """``src[i:]`` starts with ``(@``; skip the balanced annotation and return the offset after it."""
    start, depth, n = i, 0, len(src)
    while i < n:
        c = src[i]
        if c == '"':
            i, _ = _scan_string(src, i)
            continue
        if src.startswith(";;", i):
            i = _line_comment_end(src, i)
            continue
        if src.startswith("(;", i):
            i = skip_block_comment(src, i)
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        elif c not in IDCHARS and c not in " \t\n\r":  # an annotation's body is tokens too
            if "\ud800" <= c <= "\udfff":  # a byte that was not UTF-8 (the reader's surrogate escape)
                raise error(src, i, "malformed UTF-8 encoding")
            raise error(src, i, f"illegal character {c!r} in annotation")
        i += 1
    raise error(src, start, "unclosed annotation (unexpected end of input)")


def tokenize(src: str) -> list[Token]:
    """All tokens of ``src``; raises MalformedError on a lexical error."""
    tokens: list[Token] = []
    append = tokens.append
    fast = _FAST.match
    i, n = 0, len(src)
    while i < n:
        m = fast(src, i)
        if m:  # the common tokens, in one regex step
            g = m.lastindex
            if g == 2:
                append(Token(LPAR, "(", i))
            elif g == 3:
                append(Token(RPAR, ")", i))
            elif g == 4:
                text = m.group(4)
                c0 = text[0]
                if c0 == "$":
                    append(Token(ID if len(text) > 1 else RESERVED, text, i))
                elif "a" <= c0 <= "z" or c0 in "0123456789+-":
                    append(Token(KEYWORD, text, i))
                else:
                    append(Token(RESERVED, text, i))
            i = m.end()
            continue
        c = src[i]
        if c in " \t\n\r":
            i += 1
        elif c == ";":
            if src.startswith(";;", i):
                i = _line_comment_end(src, i)
            else:
                raise error(src, i, "unexpected character ';' (unexpected token)")
        elif c == "(":
            if src.startswith("(;", i):
                i = skip_block_comment(src, i)
            elif src.startswith("(@", i) and i + 2 < n and src[i + 2] in IDCHARS:
                i = _skip_annotation(src, i)
            else:
                tokens.append(Token(LPAR, "(", i))
                i += 1
        elif c == ")":
            tokens.append(Token(RPAR, ")", i))
            i += 1
        elif c == '"' or c in IDCHARS:
            start = i
            strings = 0
            value = None
            string_end = -1  # end of a string that starts the run
            while i < n:
                m = _IDRUN.match(src, i)
                if m:
                    i = m.end()
                elif src[i] == '"':
                    j, value = _scan_string(src, i)
                    if i == start:
                        string_end = j
                    strings += 1
                    i = j
                else:
                    break
            text = src[start:i]
            if strings == 1 and string_end == i:
                tokens.append(Token(STRING, text, start, value))
            elif (
                strings == 1
                and text.startswith('$"')
                and text.endswith('"')
                and _string_at(src, start + 1) == i
            ):
                # a quoted identifier ``$"name"`` (wasm 3.0 text format, printed by wasm-tools); it denotes the
                # same identifier as ``$name``
                try:
                    name = (value or b"").decode("utf-8")
                except UnicodeDecodeError:
                    raise error(src, start, "malformed UTF-8 encoding in identifier") from None
                if not name:
                    raise error(src, start, "empty identifier (unexpected token)")
                tokens.append(Token(ID, "$" + name, start))
            elif strings or text == "$":
                tokens.append(Token(RESERVED, text, start))
            elif text[0] == "$":
                tokens.append(Token(ID, text, start))
            elif "a" <= text[0] <= "z" or text[0] in "0123456789+-":
                tokens.append(Token(KEYWORD, text, start))  # keywords and numbers, told apart where used
            else:
                tokens.append(Token(RESERVED, text, start))
        else:
            if c.isspace():
                raise error(src, i, f"unexpected whitespace character {c!r} (unexpected token)")
            raise error(src, i, f"unexpected character {c!r} (unexpected token)")
    return tokens
