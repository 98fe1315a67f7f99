"""The Docker engine through its CLI (the same ``docker`` a user would type, so every failure reads as
theirs would): is it reachable, which images are there, and the one-line reasons when not.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass

from ..adapters.base import Availability
from .guard import CONTAINER_LABEL, LABEL, client

__all__ = ["CONTAINER_LABEL", "LABEL", "BuildFailed", "Image", "client", "inspect", "leftover_containers",
           "reachable", "run_checked"]


def _cli(args: list[str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([client(), *args], capture_output=True, text=True, timeout=timeout)


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else "no output"


def reachable() -> Availability:
    """Whether the Docker engine answers, and if not why, in one line, with what fixes it."""
    if shutil.which(client()) is None:
        return Availability(False, f"the Docker client {client()!r} is not installed", "apt-get install docker.io")
    try:
        r = _cli(["version", "--format", "{{.Server.Version}}"], timeout=20)
    except subprocess.TimeoutExpired:
        return Availability(False, "the Docker engine does not answer (20 s)", "restart it: systemctl restart docker")
    if r.returncode == 0 and r.stdout.strip():
        return Availability(True)
    why = _first_line(r.stderr or r.stdout)
    if "permission denied" in why.lower():
        return Availability(False, f"no permission to use the Docker engine: {why}",
                            "add yourself to the docker group (usermod -aG docker $USER) or run as root")
    return Availability(False, f"the Docker engine is not reachable: {why}",
                        "start it: systemctl start docker (or dockerd &)")


@dataclass(frozen=True)
class Image:
    tag: str
    id: str
    created: str
    size: int
    labels: dict[str, str]


def inspect(tag: str) -> Image | None:
    """The image ``tag`` when it is there, else None (also when Docker cannot be asked)."""
    try:
        r = _cli(["image", "inspect", tag])
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode:
        return None
    data = json.loads(r.stdout)[0]
    return Image(tag, data["Id"], data.get("Created", ""), int(data.get("Size", 0)),
                 dict((data.get("Config") or {}).get("Labels") or {}))


def run_checked(args: list[str], what: str, timeout: float, input_bytes: bytes | None = None) -> str:
    """Run a docker command that must succeed; on failure raise ``BuildFailed`` with its last words."""
    try:
        r = subprocess.run([client(), *args], input=input_bytes, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BuildFailed(f"{what}: docker {args[0]} timed out after {timeout:.0f} s") from None
    if r.returncode:
        lines = [ln for ln in r.stderr.decode(errors="replace").strip().splitlines()
                 if ln.strip() and not ln.startswith("Run 'docker")]  # the client's pointer to --help
        raise BuildFailed(f"{what}: docker {args[0]} failed: {(lines or ['no output'])[-1]}")
    return r.stdout.decode(errors="replace")


def leftover_containers() -> list[str]:
    """Names of containers the harness started that still exist (running or not)."""
    r = _cli(["ps", "-a", "--filter", f"label={CONTAINER_LABEL}", "--format", "{{.Names}}"])
    return r.stdout.split()


class BuildFailed(Exception):
    """One image could not be built: the message says which step and why."""
