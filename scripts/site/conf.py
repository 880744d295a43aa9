"""Sphinx configuration of the course site (``make site``; scripts/build_site.py copies it into the
generated source folder build/site-src/ next to the executed lectures and the generated index.md).

Offline by design: myst-nb renders the notebooks' saved outputs (execution off: the lectures were
executed by the test run or by scripts/build_site.py), furo ships its assets in its wheel, and no
extension fetches anything at build time. The formulas are typeset in the reader's browser by
MathJax 3 (its CommonHTML output and web fonts) shipped with the site: the pip package
sphinx-mathjax-offline (pinned in requirements-dev.txt) holds MathJax's files in its wheel and copies
them to _static/mathjax/ after the build, and mathjax_path points there instead of Sphinx's default
CDN. So a page reads the same offline (tests/test_site.py typesets a lecture's formulas in Chromium
with every request outside the site refused).
"""
project = "unlearnkit"
author = "The unlearnkit authors"
copyright = "the unlearnkit authors; code MIT, course content CC BY 4.0"
html_title = "unlearnkit: a course on machine unlearning"

# sphinx-mathjax-offline's module name has hyphens (Sphinx imports it by this string)
extensions = ["myst_nb", "sphinx-mathjax-offline"]
mathjax_path = "mathjax/tex-chtml.js"  # relative: _static/mathjax/, copied by sphinx-mathjax-offline
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
