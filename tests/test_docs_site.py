"""The documentation site builds with warnings as errors and renders in a browser.

``mkdocs build --strict`` (mkdocs.yml) fails on any warning: a link or anchor that does not
resolve, a page missing from the navigation, an API entry mkdocstrings cannot collect, a
docstring griffe cannot parse. The built home page and an API page are then opened in headless
Chromium (Debian's ``chromium``; ``.ci/run`` installs it), and the test checks what renders:
the title, headings, an API signature, a doctest example, formulas as MathML, and a
screenshot that is not blank. The Python blocks of the pages written for the site run as
written and print what their comments say.

``python tests/test_docs_site.py docs/images/site_home.png`` builds the site and saves the
home page's screenshot there.
"""

from __future__ import annotations

import doctest
import html
import importlib.util
import inspect
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

import jax
import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
WINDOW = (1280, 900)


def build_site(out: pathlib.Path) -> tuple[float, str]:
    """``mkdocs build --strict`` into ``out``; returns the seconds taken and its log."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "KERAS_BACKEND": "jax"}
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    seconds = time.perf_counter() - start
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{log[-6000:]}"
    return seconds, log


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path is not None, (
        "headless Chromium is needed to check the docs site: apt-get install -y chromium "
        "(.ci/run installs it)"
    )
    return path


def chromium(page: pathlib.Path, *args: str, profile: pathlib.Path) -> str:
    """Run headless Chromium on a built page; returns its standard output."""
    result = subprocess.run(
        [
            chromium_path(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def dom_text(dom: str) -> str:
    """The text of a DOM dump: tags removed, entities decoded, whitespace collapsed."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


def screenshot(page: pathlib.Path, png: pathlib.Path, profile: pathlib.Path) -> None:
    size = f"--window-size={WINDOW[0]},{WINDOW[1]}"
    chromium(page, f"--screenshot={png}", size, profile=profile)


@pytest.mark.slow
def test_site_builds_strict_and_renders_in_chromium(tmp_path: pathlib.Path) -> None:
    # One test builds the site once (under pytest-xdist, one worker does), then checks it.
    site, profile = tmp_path / "site", tmp_path / "chromium-profile"
    build_site(site)
    _check_navigation(site)
    _check_home_page(site, profile)
    _check_api_page(site, profile)
    _check_api_pages_hold_no_raw_restructuredtext(site)


def _check_navigation(site: pathlib.Path) -> None:
    yml = (ROOT / "mkdocs.yml").read_text()
    # Strict: a warning fails the build, and a broken link or anchor is a warning.
    assert re.search(r"^strict: true$", yml, re.M)
    for check in ("omitted_files", "unrecognized_links", "anchors"):
        assert re.search(rf"^  {check}: warn$", yml, re.M), check
    nav = re.findall(r":\s*([\w/]+\.md)\s*$|^\s*-\s*([\w/]+\.md)\s*$", yml, re.M)
    pages = [a or b for a, b in nav]
    assert len(pages) >= 25, pages
    for page in pages:
        assert (DOCS / page).is_file(), page
        assert (site / page.replace(".md", ".html")).is_file(), page
    # Every docs page is in the navigation (mkdocs only notes the others, even when strict).
    listed = set(pages)
    for md in DOCS.rglob("*.md"):
        assert md.relative_to(DOCS).as_posix() in listed, f"{md} is not in mkdocs.yml's nav"


def _check_home_page(site: pathlib.Path, profile: pathlib.Path) -> None:
    page = site / "index.html"
    dom = chromium(page, "--dump-dom", profile=profile)
    assert re.search(r"<title>\s*lrjax\s*</title>", dom), dom[:2000]
    text = dom_text(dom)
    assert "What it solves" in text and "Install and run" in text
    assert "TracerBoolConversionError" in text  # the table of problems solved, first
    assert "API reference" in text and "Getting started" in text  # the navigation tabs
    png = site.parent / "home.png"
    screenshot(page, png, profile)
    _assert_not_blank(png)


def _check_api_page(site: pathlib.Path, profile: pathlib.Path) -> None:
    import lrjax

    page = site / "api" / "presets.html"
    dom = chromium(page, "--dump-dom", profile=profile)
    assert re.search(r"<title>\s*Presets - lrjax\s*</title>", dom), dom[:2000]
    text = dom_text(dom)
    # Code is highlighted token by token: compare code without its whitespace (and without
    # the trailing comma of a signature written one argument per line).
    code = re.sub(r"\s+", "", text).replace(",)", ")")
    # The signature (separate, formatted) as the function has it, its Args, its example.
    factory = lrjax.warmup_cosine_decay
    signature = str(inspect.signature(factory).replace(return_annotation=inspect.Signature.empty))
    assert f"warmup_cosine_decay{signature}".replace(" ", "") in code
    assert "value at the end of the warmup" in text
    example = [line.strip() for line in (factory.__doc__ or "").splitlines() if ">>>" in line]
    assert example and all(line.replace(" ", "") in code for line in example), example
    # Formulas are MathML, rendered by the browser without a download; no TeX left over.
    assert dom.count("<math") >= 20
    assert "\\begin{cases}" not in text and ":math:" not in text
    png = site.parent / "api.png"
    screenshot(page, png, profile)
    _assert_not_blank(png)


def _check_api_pages_hold_no_raw_restructuredtext(site: pathlib.Path) -> None:
    pages = sorted((site / "api").glob("*.html"))
    assert len(pages) >= 12
    for page in pages:
        text = dom_text(page.read_text())
        for raw in (".. math::", ":math:`", ":func:`", ":class:`", ":meth:`", "\\frac"):
            assert raw not in text, f"{raw!r} in {page.name}"
        assert "Alias for field number" not in text, page.name
    # The docstrings' :func: and :class: roles became links where the API has an entry.
    links = sum(p.read_text().count('class="autorefs autorefs-internal"') for p in pages)
    assert links >= 20, links
    # The adaptive schedules and every compat module have their entries.
    adaptive = dom_text((site / "api" / "adaptive.html").read_text())
    assert "reduce_on_plateau" in adaptive and "scale_by_adaptive" in adaptive
    torch = dom_text((site / "api" / "compat_torch.html").read_text())
    assert "one_cycle_lr" in torch and "reduce_lr_on_plateau" in torch


def test_every_gallery_picture_is_on_the_gallery_page() -> None:
    page = (DOCS / "gallery.md").read_text()
    pictures = sorted(p.name for p in (DOCS / "gallery").glob("*.png"))
    assert pictures
    for name in pictures:
        assert f"(gallery/{name})" in page, f"add docs/gallery/{name} to docs/gallery.md"


def _load_site_ext():
    spec = importlib.util.spec_from_file_location("site_ext", DOCS / "site_ext.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docstring_math_and_roles_become_markdown() -> None:
    ext = _load_site_ext()
    assert doctest.testmod(ext).failed == 0  # the examples of docs/site_ext.py
    doc = (
        "Decays to :math:`E` (:func:`~lrjax.warmup`).\n\n"
        ".. math::\n  \\eta(t) = \\frac{1}{2}\n\nArgs:\n"
        "  a, b,\n    c: as in :class:`Foo`."
    )
    assert ext.rst_to_markdown(doc) == (
        'Decays to $E$ (<autoref identifier="lrjax.warmup" optional>'
        "<code>lrjax.warmup</code></autoref>).\n\n$$\n\\eta(t) = \\frac{1}{2}\n$$\n\n"
        "Args:\n  a, b, c: as in `Foo`."
    )
    html_in = '<p>x <span class="arithmatex">\\(a &lt; b\\)</span></p>'
    out = ext.on_page_content(html_in)
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in out
    assert "<mi>a</mi><mo>&#x0003C;</mo><mi>b</mi>" in out and "arithmatex" not in out


# What the first lines of each Python block of the site's own pages print.
PAGE_OUTPUTS = {
    "index.md": [
        [
            "warmup_cosine_decay(peak_value=0.0003, warmup_steps=2000, total_steps=100000, "
            "init_value=0.0, end_value=0.0, exponent=None)",
            "0.0003",
        ]
    ],
    "getting_started.md": [
        [
            "warmup_cosine_decay(peak_value=0.0003, warmup_steps=2000, total_steps=100000, "
            "init_value=0.0, end_value=0.0, exponent=None)",
            "lr(            0) = 0.000e+00",
            "lr(        1,000) = 1.500e-04",
            "lr(        2,000) = 3.000e-04",
            "lr(       51,000) = 1.500e-04",
            "lr(      100,000) = 0.000e+00",
            "lr(1,000,000,000) = 0.000e+00",
        ],
        ["largest difference: 0.0"],
        ["lr of the last update: 3.045865560125094e-05"],
        [
            "peak 1e-03, warmup   100: mean lr 5.000e-04",
            "peak 3e-03, warmup   500: mean lr 1.500e-03",
            "peak 1e-02, warmup  1000: mean lr 5.000e-03",
            "compiled versions: 1",
            "vmapped curves: (2, 100)",
        ],
        [
            "steps             10,000",
            "initial value     0",
            "peak value        0.001 at step 1,000",
        ],
    ],
    "sweeps.md": [
        ["(8, 3) 24", "['peak=0.0001, warmup_steps=0', 'peak=0.0001, warmup_steps=500']"],
        ["peak=0.01, warmup_steps=0    final loss 7.91e-01"],
        ["saved sweep.png with 5 members"],
    ],
}


def _python_blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), re.S)


@pytest.mark.parametrize(
    ("page", "index"),
    [(page, i) for page, outputs in PAGE_OUTPUTS.items() for i in range(len(outputs))],
)
def test_site_page_code_runs(
    page: str,
    index: int,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    blocks = _python_blocks(page)
    assert len(blocks) == len(PAGE_OUTPUTS[page])
    monkeypatch.chdir(tmp_path)  # a block may save a picture
    # What a user runs: JAX's default promotion rules (optax's internals need them).
    with jax.numpy_dtype_promotion("standard"):
        exec(compile(blocks[index], f"docs/{page} block {index}", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    expected = PAGE_OUTPUTS[page][index]
    assert lines[: len(expected)] == expected


def _assert_not_blank(png: pathlib.Path) -> None:
    import matplotlib.image

    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = np.asarray(matplotlib.image.imread(png))
    assert pixels.shape[:2] == (WINDOW[1], WINDOW[0])
    rgb = np.round(pixels[..., :3] * 255).astype(np.int64)
    colours = np.unique(rgb.reshape(-1, 3) @ np.array([65536, 256, 1]))
    # A rendered page has text (antialiased: many greys), a coloured header and white space;
    # a blank or failed page is one or two colours.
    assert colours.size > 50, colours.size
    inked = float(np.mean(np.any(rgb < 240, axis=-1)))
    assert 0.02 < inked < 0.9, inked


if __name__ == "__main__":
    target = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images/site_home.png")
    with tempfile.TemporaryDirectory() as tmp:
        seconds, _ = build_site(pathlib.Path(tmp) / "site")
        print(f"built in {seconds:.1f} s")
        target.parent.mkdir(parents=True, exist_ok=True)
        screenshot(pathlib.Path(tmp) / "site" / "index.html", target.resolve(), pathlib.Path(tmp))
    print(f"saved {target}")
