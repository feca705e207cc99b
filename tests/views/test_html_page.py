"""`graph --format html` in a real browser: Debian's Chromium driven by Playwright opens the
page for a seed spec, and it loads nothing but itself, clicks show the panel, the diagnostics
sit at their nodes, and panning and zooming move the drawing.

Needs /usr/bin/chromium (Debian's `chromium` package) and Graphviz's dot: `make debian-tools`,
part of the dev set-up, installs both. Skipped without them on a workstation; in CI (`CI`
set) it fails instead.
Screenshots of the seeds' pages are saved to build/screenshots/ (seed002_inception.png,
seed001_ensemble_pruned.png) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from graphspec.pipeline import check_path, check_text
from graphspec.views.html import render_html
from tests.conftest import ROOT, SPECS
from tests.views.test_html import HOSTILE, HOSTILE_FILE, HOSTILE_SPEC

CHROMIUM = Path(os.environ.get("GRAPHSPEC_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "build" / "screenshots"


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (Debian's chromium package; make debian-tools installs it)"
    if shutil.which("dot") is None:
        return "Graphviz's dot is missing (make debian-tools installs it)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module; skipped when missing, except in CI, where it fails."""
    missing = _missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test must run in CI: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _page_file(folder: Path, spec: Path) -> Path:
    report = check_path(spec)
    assert report.plan is not None, [d.format() for d in report.diagnostics]
    target = folder / f"{spec.stem}.html"
    target.write_text(render_html(report.plan, report.diagnostics), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pages")
    found = {
        name: _page_file(folder, SPECS / "seeds" / f"{name}.yaml")
        for name in ("seed002_inception", "seed001_ensemble_pruned")
    }
    report = check_text(HOSTILE_SPEC, name=HOSTILE_FILE)
    assert report.plan is not None
    found["hostile"] = folder / "hostile.html"
    found["hostile"].write_text(render_html(report.plan, report.diagnostics), encoding="utf-8")
    return found


@dataclass
class Opened:
    """A page with everything it asked for and everything it complained of."""

    page: Any
    url: str
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def field(self, name: str) -> str:
        text: str = self.page.inner_text(f"#gs-details dd[data-field={name}]")
        return text

    def transform(self) -> str:
        value: str = self.page.get_attribute("#gs-viewport", "transform")
        return value

    def vertex(self, vertex: str) -> str:
        return f'#gs-drawing g.gs-vertex[data-vertex="{vertex}"]'


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def opener(path: Path) -> Opened:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.set_default_timeout(5000)
        # a request off this machine would be a failure anyway: refuse it rather than send it
        context.route(lambda url: not url.startswith("file:"), lambda route: route.abort())
        contexts.append(context)
        page = context.new_page()
        opened = Opened(page, path.as_uri())
        page.on("request", lambda request: opened.requests.append(request.url))
        page.on("pageerror", lambda error: opened.problems.append(str(error)))
        page.on("dialog", lambda dialog: opened.problems.append(f"dialog: {dialog.message}"))
        page.on(
            "console",
            lambda message: (
                opened.problems.append(message.text)
                if message.type in ("error", "warning")
                else None
            ),
        )
        page.goto(opened.url)
        page.wait_for_selector("body[data-ready=true]", timeout=5000)
        return opened

    yield opener
    for context in contexts:
        context.close()


def test_the_page_loads_nothing_but_itself_and_its_script_runs(
    open_page: Any, pages: dict[str, Path]
) -> None:
    opened = open_page(pages["seed002_inception"])
    # its script ran (the CSP hashes match) and nothing was refused or failed
    assert opened.page.locator("#gs-drawing g.gs-vertex").count() == 7
    opened.page.click(opened.vertex("n_output"))
    opened.page.wait_for_timeout(100)  # give any late load the time to show up
    assert opened.requests == [opened.url]
    assert opened.problems == []


def test_clicking_nodes_inputs_and_heads_shows_them_in_the_panel(
    open_page: Any, pages: dict[str, Path]
) -> None:
    opened = open_page(pages["seed002_inception"])
    page = opened.page
    page.click(opened.vertex("in_x"))
    assert opened.field("shape") == "(None, 32, 32, 64)"
    assert opened.field("dtype") == "float32"
    page.click(opened.vertex("out_output"))
    assert opened.field("from") == "output"
    assert opened.field("loss") == "none"
    page.fill("#gs-find", "branch_c")
    page.press("#gs-find", "Enter")
    assert page.inner_text("#gs-details h2") == "branch_c"
    assert opened.field("layer") == "AveragePooling2D → Conv2D"
    page.click("#gs-fit")
    page.click(opened.vertex("n_branch_b"))
    assert page.inner_text("#gs-details h2") == "branch_b"
    assert opened.field("layer") == "Conv2D → Conv2D"
    assert opened.field("shape") == "(None, 16, 16, 128)"
    assert opened.field("parameters") == "155,904 (all trainable)"
    assert opened.field("pruned") == "no"
    assert opened.field("line") == "seed002_inception.yaml:17"
    assert "kernel_size: 3, strides: 2" in page.inner_text("#gs-details .gs-source")
    assert page.locator(opened.vertex("n_branch_b")).get_attribute("class") == (
        "node gs-vertex gs-selected"
    )
    screenshot(page, "seed002_inception")


def screenshot(page: Any, name: str) -> None:
    """Save what the browser shows to build/screenshots/NAME.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000


def test_a_pruned_branch_is_marked_at_its_node_and_listed(
    open_page: Any, pages: dict[str, Path]
) -> None:
    opened = open_page(pages["seed001_ensemble_pruned"])
    page = opened.page
    cnn3 = page.locator(opened.vertex("cluster_n_cnn3"))  # the instance, drawn with its body
    assert "gs-marked-warning" in str(cnn3.get_attribute("class"))
    assert "GS401" in cnn3.locator(".gs-badge title").text_content()
    assert page.locator(f"{opened.vertex('cluster_n_cnn1')} .gs-badge").count() == 0
    assert page.locator("#gs-drawing .gs-badge").count() == 1
    listed = page.locator("#gs-diagnostics li[data-code=GS401]")
    assert "node 'cnn3' is not used by the model's heads" in listed.inner_text()
    listed.click()  # selects and centres the node it names
    assert "gs-selected" in str(cnn3.get_attribute("class"))
    assert opened.field("pruned") == "yes: not built, no weights"
    assert "GS401" in page.inner_text("#gs-details .gs-here")
    screenshot(page, "seed001_ensemble_pruned")
    page.click("#gs-fit")  # the whole drawing again: centring on cnn3 moved cnn1 away
    page.click(opened.vertex("n_cnn1/probs"))  # a node of the block's body, in instance cnn1
    assert page.inner_text("#gs-details h2") == "cnn1/probs"
    assert (opened.field("layer"), opened.field("instance")) == (
        "Dense",
        "cnn1 (block cnn, classes=10)",
    )
    assert opened.field("line") == "seed001_ensemble_pruned.yaml:26"
    page.click(opened.vertex("out_prediction"))
    assert (opened.field("loss"), opened.field("metrics")) == (
        "categorical_crossentropy",
        "accuracy",
    )
    assert opened.requests == [opened.url] and opened.problems == []


def test_zoom_and_pan_move_the_drawing(open_page: Any, pages: dict[str, Path]) -> None:
    opened = open_page(pages["seed002_inception"])
    page = opened.page
    fitted = opened.transform()
    page.click("#gs-zoom-in")
    zoomed = opened.transform()
    assert zoomed != fitted
    page.mouse.move(400, 400)
    page.mouse.wheel(0, -300)
    page.wait_for_function(
        "was => document.getElementById('gs-viewport').getAttribute('transform') !== was",
        arg=zoomed,
    )
    wheeled = opened.transform()
    page.mouse.move(300, 300)
    page.mouse.down()
    page.mouse.move(360, 340, steps=4)
    page.mouse.up()
    panned = opened.transform()
    assert panned != wheeled
    assert panned.split(" scale")[1] == wheeled.split(" scale")[1]  # moved, same scale
    page.click("#gs-fit")
    assert opened.transform() == fitted
    page.click("#gs-zoom-out")
    assert opened.transform() != fitted
    assert opened.problems == []


def test_hostile_names_show_as_text(open_page: Any, pages: dict[str, Path]) -> None:
    opened = open_page(pages["hostile"])
    page = opened.page
    assert HOSTILE in page.inner_text("#gs-description")
    assert page.locator("img").count() == 0
    page.click(opened.vertex("n_ids"))
    arguments = page.locator("#gs-details dd[data-field=argument]").all_inner_texts()
    assert any(HOSTILE in text for text in arguments)
    assert opened.requests == [opened.url]
    assert opened.problems == []
