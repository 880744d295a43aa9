"""Sphinx configuration of the course site (``make site``; scripts/build_site.py copies it into the
generated source folder build/site-src/ next to the executed lectures and the generated index.md).

Offline by design: myst-nb renders the notebooks' saved outputs (execution off: the lectures were
executed by the test run or by scripts/build_site.py), furo ships its assets in its wheel, and no
extension fetches anything at build time. A reader's browser loads MathJax from its CDN to typeset
the formulas (Sphinx's default); without it the formulas show as TeX source.
"""
project = "unlearnkit"
author = "The unlearnkit authors"
copyright = "the unlearnkit authors; code MIT, course content CC BY 4.0"
html_title = "unlearnkit: a course on machine unlearning"

extensions = ["myst_nb"]
nb_execution_mode = "off"          # never run a notebook here: build/executed/ holds the runs
nb_output_stderr = "show"          # a warning printed by a lecture stays visible (tests/test_site.py flags it)
nb_merge_streams = True            # one block per cell for its printed text, as JupyterLab shows it
myst_enable_extensions = ["dollarmath", "amsmath"]  # the lectures write formulas as $...$ and $$...$$
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # a lecture's heading levels follow JupyterLab, not a document outline

html_theme = "furo"                # search box in the sidebar, light and dark themes
html_copy_source = False           # no copy of the notebooks next to the pages
html_show_sourcelink = False
html_last_updated_fmt = None
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
