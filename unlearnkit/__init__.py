"""unlearnkit: the support library of the unlearnkit course on machine unlearning.

One module per idea of the course:

- :mod:`unlearnkit.data`         data sets whose examples keep stable ids (what an erasure request names)
- :mod:`unlearnkit.models`       small torch models built from a seed
- :mod:`unlearnkit.training`     one deterministic training loop with cost accounting, evaluation, and
                                 batched training of many small models at once (``fit_many``)
- :mod:`unlearnkit.exact`        retraining from scratch and summation-form learners (Cao & Yang 2015)
- :mod:`unlearnkit.sisa`         SISA training and unlearning (Bourtoule et al. 2021)
- :mod:`unlearnkit.forging`      training logs, replay, and forging (Thudi et al. 2022)
- :mod:`unlearnkit.approximate`  fine-tune, NegGrad(+), random labels, SCRUB, Newton-step removal
- :mod:`unlearnkit.metrics`      ToW, memorization, entanglement
- :mod:`unlearnkit.mia`          empirical epsilon, LiRA statistic, membership inference
- :mod:`unlearnkit.lm`           a tiny language model of a fictitious world
- :mod:`unlearnkit.viz`          the shared plotting style and widgets

Seeds: every random function takes ``seed``; child seeds come from :func:`derive_seed`.
Device: :func:`device` chooses the CPU unless CUDA is present and allowed.
"""
from ._seeding import derive_seed, device
from . import data, models, training, batched, exact, sisa, forging, approximate, metrics, mia, lm, viz

__version__ = "0.1.0"
__all__ = ["derive_seed", "device", "data", "models", "training", "exact", "sisa", "forging",
           "approximate", "metrics", "mia", "lm", "viz", "__version__"]
