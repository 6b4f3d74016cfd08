"""Peers' schedules, exactly: optax, Keras, Hugging Face transformers, PyTorch and timm.

Each module mirrors one peer's function or class names and argument names and returns
ordinary lrjax schedules equal to the peer at every optimizer step index ``t = 0, 1, ...``
(the value used for the t-th update). Import the module you need, e.g.
``from lrjax.compat import keras as lrk``; none of them imports its peer library.
"""
