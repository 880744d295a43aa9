"""The course's shared plotting style, role colours, axis labelling and progress bars.

Colours come from the Okabe-Ito palette, which stays distinguishable with the common forms of colour
blindness. Call :func:`use_style` once in a notebook's setup cell; every figure then has the same
fonts, grid and colour cycle. Every figure in the course has a title and labelled axes with units
(:func:`label`). :func:`progress` is the one progress bar of the course (silent when
``TQDM_DISABLE=1``).

There are no widget helpers here: each lecture builds its few ``ipywidgets`` panels in place (one
``ipywidgets.interact`` over a plotting function, with a static default figure beside it), which is
shorter to read than a wrapper would be.

Introduced in lecture 01 (used by every lecture).
"""
from __future__ import annotations

import os

import matplotlib as mpl
from cycler import cycler

__all__ = ["PALETTE", "ROLE_COLORS", "use_style", "label", "progress"]

#: Okabe & Ito (2008) colour-blind-safe palette, by name.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}

#: The same colour always means the same thing across lectures.
ROLE_COLORS = {
    "original": PALETTE["blue"],      # theta_o, trained on D
    "retrained": PALETTE["green"],    # theta_r, retrained on D \ S (the gold standard)
    "unlearned": PALETTE["orange"],   # theta_u, an approximate method's output
    "forget": PALETTE["vermillion"],  # the forget set S
    "retain": PALETTE["sky"],         # the retain set D \ S
    "test": PALETTE["purple"],
    "reference": PALETTE["black"],    # formulas, baselines
}


def use_style() -> None:
    """Apply the course style to matplotlib (colour cycle, sizes, grid, no top/right spines).

    Introduced in lecture 01.
    """
    mpl.rcParams.update({
        "axes.prop_cycle": cycler(color=list(PALETTE.values())),
        "figure.figsize": (6.4, 4.0),
        "figure.dpi": 100,
        "savefig.dpi": 120,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 12,
        "axes.labelsize": 11,
        "legend.frameon": False,
        "font.size": 10,
    })


def label(ax, title: str, xlabel: str, ylabel: str, legend: bool = False):
    """Give ``ax`` a title and axis labels (say the unit in brackets), and optionally a legend.

    Introduced in lecture 01.
    """
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if legend:
        ax.legend()
    return ax


def progress(iterable=None, **kwargs):
    """A ``tqdm.auto`` progress bar that stays silent when the environment sets ``TQDM_DISABLE=1``.

    tqdm's notebook bar ignores that variable (it always passes ``disable=False`` itself), so every
    bar in the course comes from here; the tests and the problem sets set the variable.

    Args:
        iterable: what to iterate over (or None with ``total=`` for a manual bar).
        **kwargs: passed to ``tqdm`` (``desc``, ``total``, ``leave``, ...).

    Introduced in lecture 01.
    """
    from tqdm.auto import tqdm

    if "disable" not in kwargs:
        kwargs["disable"] = os.environ.get("TQDM_DISABLE", "").strip().lower() in ("1", "true", "yes")
    return tqdm(iterable, **kwargs)
