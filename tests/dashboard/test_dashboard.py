"""Fourteen simulated nights (seeded, from the real measured run in ``measured_run.json``, with known steps)
render into a dashboard where the injected steps are flagged and nothing else is, every page and link is
there, and the pages open in a headless browser with their charts and links."""

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from harness.analysis.history import load_history
from harness.analysis.regressions import find_changes
from harness.cli import main
from harness.dashboard import simulate

MEASURED = Path(__file__).parent / "measured_run.json"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("nights")
    db = simulate.simulate(json.loads(MEASURED.read_text()), tmp / "history.db", nights=14, seed=1)
    assert main(["dashboard", "--db", str(db), "--out", str(tmp / "site")]) == 0
    return db, tmp / "site"


def test_the_injected_steps_are_flagged_and_nothing_else(site):
    db, _ = site
    history = load_history(db)
    changes = find_changes(history)
    flagged = {(c.key.file, c.key.engine, c.key.arch, history.nights.index(c.night)) for c in changes}
    assert all(c.confirmed for c in changes)
    assert {(f, e, a) for f, e, a, _ in flagged} == {(f, e, a) for f, e, a, _ in simulate.injected()}
    for file, engine, arch, night in simulate.injected():
        found = [n for f, e, a, n in flagged if (f, e, a) == (file, engine, arch)]
        assert found and all(abs(n - night) <= 1 for n in found), (file, engine, found)
    assert {c.kind for c in changes if c.key.engine == "wasmtime:cranelift"} == {"improvement"}
    # the last morning's suspects were re-measured (the builds around each, in turns) and refuted
    refuted = [c for c in find_changes(history, refuted=True) if c.refuted]
    assert refuted and all("interleaved" in c.remeasure for c in refuted)
    assert not {(c.key.file, c.key.engine, c.key.arch) for c in refuted} & {i[:3] for i in simulate.injected()}


def test_the_cut_short_shard_leaves_missing_nights_not_zeros(site):
    db, out = site
    history = load_history(db)
    cut = next(k for k in history.series if k.arch == "aarch64" and k.file == "micro-matmul")
    assert history.missing_nights(cut) == [history.nights[simulate.PARTIAL_NIGHT]]
    run = next(r for r in history.runs.values() if r.status == "interrupted")
    assert "interrupted" in (out / f"run-{run.run_id}.html").read_text()


def test_emulated_conformance_has_columns_of_its_own(site):
    db, out = site
    emulated = [c for c in load_history(db).conformance if c.emulated]
    assert emulated and {c.engine for c in emulated} == {"ours:interp", "ours:llvm"}
    assert "aarch64 (emulated)" in (out / "index.html").read_text()


def test_every_page_is_there_and_every_link_resolves(site):
    db, out = site
    pages = {p.name for p in out.glob("*.html")}
    for name in ("index.html", "regressions.html", "engine-ours-llvm.html", "workload-micro-matmul.html",
                 "suite-wasi.html", "suite-corpus.html"):
        assert name in pages
    for page in out.glob("*.html"):
        for ref in re.findall(r'(?:src|href)="([^"#]+)', page.read_text()):
            assert not urlsplit(ref).scheme, f"{page.name} loads {ref} from elsewhere"
            assert (out / unquote(ref)).exists(), f"{page.name} links to the missing {ref}"
    regressions = (out / "regressions.html").read_text()
    for file, engine, _, _ in simulate.injected():
        assert file in regressions and engine in regressions
    assert "injected failure" not in regressions
    assert "Refuted by re-measurement" in regressions and "interleaved pairs" in regressions


def test_the_suite_page_lists_the_checks_that_started_failing(site):
    _, out = site
    page = (out / "suite-wasi.html").read_text()
    flips = [f for f in simulate.FLIPS if f[0] == "wasi"]
    assert flips and page.count("<td class=\"name missing\">fail</td>") >= flips[0][3]


@pytest.mark.skipif(CHROMIUM is None, reason="needs a headless browser: apt-get install chromium (Debian)")
@pytest.mark.parametrize("page", ["index.html", "regressions.html", "engine-ours-llvm.html", "suite-wasi.html"])
def test_pages_open_in_a_browser_with_charts_and_links(site, page):
    _, out = site
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                           "--v=0", "--dump-dom", (out / page).as_uri()], capture_output=True, text=True, timeout=180)
    dom = done.stdout
    assert "<h1>" in dom, f"{page} did not load"
    assert [ln for ln in done.stderr.splitlines() if ":CONSOLE" in ln] == []
    if page != "index.html":
        svgs = re.findall(r"<svg.*?</svg>", dom, flags=re.S)
        assert svgs, f"{page} has no chart"
        assert any(re.search(r'<a [^>]*href="run-[^"]+\.html"', svg) for svg in svgs), f"{page}: no point links to a run"
