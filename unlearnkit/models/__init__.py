"""Every model of the course, one readable file per family, each built from a seed.

==================================  ===========================================================  =======
file                                models                                                       lecture
==================================  ===========================================================  =======
:mod:`unlearnkit.models.nets`       :func:`logistic_regression`, :func:`mlp`, :func:`cnn1d`      02
                                    (classifiers returning logits), :func:`linear_regression`
                                    (squared loss), :func:`count_parameters`
:mod:`unlearnkit.models.l2linear`   :class:`L2LinearModel`: L2-regularised linear model fitted   04
                                    to its optimum, for Newton-step removal
:mod:`unlearnkit.models.gpt`        :class:`GPT` and :class:`GPTConfig`: the tiny language       07
                                    model (nanoGPT style)
==================================  ===========================================================  =======

The modules that use them re-export them where they used to live (``approximate.L2LinearModel``,
``forging.linear_regression``, ``lm.GPT``), so either import works. Every model is a
``torch.nn.Module``; its initial weights depend only on its seed (the caller's global RNG is neither
read nor changed). Learners that are not neural networks and exist only to be unlearned exactly (the
summation-form learners) stay with their method in :mod:`unlearnkit.exact`.

Introduced in lecture 02.
"""
from .gpt import GPT, GPTConfig
from .l2linear import L2LinearModel
from .nets import cnn1d, count_parameters, linear_regression, logistic_regression, mlp

__all__ = ["logistic_regression", "mlp", "cnn1d", "linear_regression", "count_parameters", "L2LinearModel",
           "GPTConfig", "GPT"]
