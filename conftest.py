"""Root pytest configuration: the doctest namespace and strict JAX promotion for all tests."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lrjax  # noqa: E402

jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    from lrjax.compat import keras as lrk
    from lrjax.compat import optax as lro
    from lrjax.compat import timm as lrtimm
    from lrjax.compat import torch as lrt
    from lrjax.compat import transformers as lrh

    # The names the examples assume (each compat module's docstring says its alias).
    doctest_namespace.update(
        lrjax=lrjax, jax=jax, jnp=jnp, np=np, lrk=lrk, lro=lro, lrtimm=lrtimm, lrt=lrt, lrh=lrh
    )
