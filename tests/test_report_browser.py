"""Both reports and the index, rendered from a small store, load in a headless browser (Debian's
``chromium``) without a console message, and every image and link they use is a local file that exists."""

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from harness.report.cli import render_index
from harness.report.conformance import render_conformance_report
from harness.report.perf import render_perf_report
from harness.results import ResultRow, ResultsStore

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _store(tmp_path: Path) -> Path:
    db = tmp_path / "r.db"
    with ResultsStore(db) as st:
        spec = st.start_run("spec", suites={"spec": "a8101597"})
        st.add(spec, [ResultRow("spec", "i32.wast", "v8", "assertion", item=f"line {i}", tier="turbofan",
                                outcome="pass" if i else "fail", message=None if i else "wrong",
                                extra={"reproduce": f"harness spec --engines v8:turbofan --file i32.wast --line {i}"})
                      for i in range(5)])
        perf = st.start_run("perf", command="harness perf --repeat 3")
        st.add(perf, [ResultRow(suite="perf", file="gzip-compress", item="full", engine=engine, tier=tier,
                                metric="wall_time", value=f + i * 0.01, unit="s", outcome="ok",
                                extra={"label": label, "shell": "gzip < in > OUT"})
                      for label, engine, tier, f in (("native64", "native64", None, 1.0),
                                                     ("v8:turbofan", "v8", "turbofan", 1.4))
                      for i in range(3)])
    return db


def _console(page: Path) -> tuple[str, list[str]]:
    """The DOM chromium built from ``page`` and every console message it logged."""
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                           "--v=0", "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    return done.stdout, [ln for ln in done.stderr.splitlines() if ":CONSOLE" in ln]


def _local_references(page: Path) -> list[str]:
    return re.findall(r'(?:src|href)="([^"#]+)', page.read_text())


@pytest.mark.skipif(CHROMIUM is None, reason="needs a headless browser: apt-get install chromium (Debian)")
def test_both_reports_load_in_a_browser_without_console_errors(tmp_path):
    db, out = _store(tmp_path), tmp_path / "reports"
    pages = [render_conformance_report(db, out), render_perf_report(db, out)]
    pages.append(render_index(db, out))
    for page in pages:
        dom, console = _console(page)
        assert "<h1>" in dom, f"{page} did not load"
        assert console == [], f"{page}: {console}"
        for ref in _local_references(page):
            assert not urlsplit(ref).scheme, f"{page} loads {ref} from elsewhere"
            assert (page.parent / unquote(ref)).exists(), f"{page} links to the missing {ref}"
