"""unlearnkit: the support library of the unlearnkit course on machine unlearning.

One module per idea of the course (a package where one idea has several files):

- :mod:`unlearnkit.data`         data sets whose examples keep stable ids (what an erasure request names)
- :mod:`unlearnkit.models`       every model, one file each: classifiers and linear regression
                                 (``nets``), the L2 linear model of Newton removal (``l2linear``), the
                                 tiny GPT (``gpt``, nanoGPT style)
- :mod:`unlearnkit.training`     one deterministic training loop with cost accounting, and evaluation
- :mod:`unlearnkit.batched`      many small models trained at once (``fit_many``, ``ManyModels``)
- :mod:`unlearnkit.records`      training records beside ``fit``: logs that can be replayed and audited
- :mod:`unlearnkit.exact`        retraining from scratch and summation-form learners (Cao & Yang 2015)
- :mod:`unlearnkit.sisa`         SISA training and unlearning (Bourtoule et al. 2021)
- :mod:`unlearnkit.forging`      forging: least squares, twins, closest batches (Thudi et al. 2022)
- :mod:`unlearnkit.approximate`  fine-tune, NegGrad(+), random labels, SCRUB, Newton-step removal
- :mod:`unlearnkit.protocol`     the unlearning contract, the registry of methods, the conformance check
- :mod:`unlearnkit.metrics`      ToW, comparing methods over seeds, memorization, entanglement
- :mod:`unlearnkit.mia`          empirical epsilon, the LiRA statistic, attacks and ROC
- :mod:`unlearnkit.lm`           a tiny language model of a fictitious world (a package: world,
                                 tokenizer, training, evaluation, checkpoints)
- :mod:`unlearnkit.viz`          the shared plotting style, role colours and progress bars

Moved names stay importable from where they were (``training.fit_many``, ``forging.replay``,
``approximate.L2LinearModel``, ``metrics.loss_threshold_auc``, ``lm.GPT``). Internal helpers (argument
checks, the loss dispatch, the model's device) live in ``unlearnkit._common``; no module imports
another module's private names.

Seeds: every random function takes a seed, and ``seed`` means one thing everywhere: the root of all
the randomness of the call, used directly for a single draw or split with :func:`derive_seed`
(``TrainConfig.seed`` is the data order of one ``fit``; a seed for one purpose only is named for it,
e.g. ``init_seed``). The rule is written out in ``unlearnkit._seeding``.
Bad input: ``TypeError`` for a wrong type, ``ValueError`` for a wrong value, raised before anything
changes. Device: :func:`device` chooses the CPU unless CUDA is present and allowed.
"""
from ._seeding import derive_seed, device
from . import data, models, training, batched, records, exact, sisa, forging, approximate, metrics, mia, lm, viz
from . import protocol

__version__ = "0.1.0"
__all__ = ["derive_seed", "device", "data", "models", "training", "batched", "records", "exact", "sisa", "forging",
           "approximate", "protocol", "metrics", "mia", "lm", "viz", "__version__"]
