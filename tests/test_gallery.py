"""``examples/gallery.py``: distinguishable examples, titled with their calls, readable small."""

from __future__ import annotations

import importlib.util
import itertools
import pathlib

import numpy as np
import pytest

import lrjax

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def gallery():
    spec = importlib.util.spec_from_file_location("gallery", ROOT / "examples" / "gallery.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_title_is_the_call_that_builds_the_picture(gallery):
    presets = gallery.presets()
    assert len(presets) >= 14
    for name, factory in presets.items():
        call = gallery.call(name, factory)
        assert call.startswith(f"{name}(")
        assert eval(f"lrjax.{call}", {"lrjax": lrjax}) == gallery.build(name, factory), call
    poly = gallery.call("warmup_polynomial_decay", lrjax.warmup_polynomial_decay)
    assert poly == "warmup_polynomial_decay(0.001, 1_000, 10_000, power=2.0)"


def test_no_two_pictures_draw_the_same_curve(gallery):
    # Issue 12: warmup_polynomial_decay (power 1) was pixel-identical to warmup_linear_decay.
    steps = np.arange(gallery.STEPS)
    curves = {
        name: np.asarray(lrjax.evaluate(gallery.build(name, f), steps), np.float64)
        for name, f in gallery.presets().items()
    }
    for (a, x), (b, y) in itertools.combinations(curves.items(), 2):
        # Compared after scaling to the peak: a different scale is not a different shape.
        assert np.max(np.abs(x / x.max() - y / y.max())) > 0.01, (a, b)


def test_committed_pictures_are_large_and_listed(gallery):
    from PIL import Image

    for name in gallery.presets():
        with Image.open(ROOT / "docs" / "gallery" / f"{name}.png") as image:
            assert image.size == (1000, 560), name  # 5 x 2.8 in at 200 dpi
