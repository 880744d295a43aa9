# unlearnkit course: `make lab` to study, `make test` to check everything.
# Everything installs into a local virtual environment (.venv) from the pins in requirements.txt.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
# Optional: a PyTorch wheel index to install torch from, e.g. a CUDA build:
#   make lab TORCH_INDEX=https://download.pytorch.org/whl/cu126
TORCH_INDEX ?=
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-k sisa"`.
PYTEST_ARGS ?=
JOBS ?= 2
LAB_PORT ?= 8888

# JupyterLab refuses to run as root unless told; containers and cloud notebooks often run as root.
ifeq ($(shell id -u 2>/dev/null),0)
ROOT_FLAG := --allow-root
endif

.PHONY: help setup setup-dev lab lab-instructor test test-fast site notebooks format preview exercises check-exercises release benchmark course-map clean

help:
	@echo "make lab        set up .venv if needed and open the course in JupyterLab (as students see it)"
	@echo "make lab-instructor  the same with nbgrader's instructor tools (Formgrader, Create Assignment)"
	@echo "make test       set up .venv if needed and run the whole test suite"
	@echo "make test-fast  library unit tests only (no notebooks, no nbgrader)"
	@echo "make site       the course site: every lecture executed, as HTML, in build/site/ (after make test: no re-run)"
	@echo "make notebooks  build lectures/ and solutions/ from their sources in course/, then exercises/"
	@echo "make format     lay out the sources in course/ with ruff (lines of 100 characters; then make notebooks)"
	@echo "make preview NB=01_why_unlearn  execute one notebook; figures and printed text in preview/NB/"
	@echo "make exercises  regenerate exercises/ from solutions/ with nbgrader"
	@echo "make check-exercises  check that exercises/ matches solutions/"
	@echo "make release    build a student bundle (no solutions) in release_bundle/"
	@echo "make setup      create/update .venv only (what lab and test do first)"
	@echo "make benchmark  time every notebook and re-run the topic benchmarks (SISA, batched training)"
	@echo "make course-map write README.md's course map and docs/COURSE.md section 3 from course/manifest.toml"
	@echo "make clean      remove .venv and generated previews (keeps submissions, grades and release_bundle/)"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "unlearnkit needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
	  echo "Name another one, e.g.: make lab PYTHON=python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
ifneq ($(TORCH_INDEX),)
	$(PY) -m pip install --quiet "$$(grep '^torch==' requirements.txt)" --index-url $(TORCH_INDEX)
	grep -v '^torch==' requirements.txt > $(VENV)/requirements-notorch.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements-notorch.txt
else
	$(PY) -m pip install --quiet -r requirements.txt
endif
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (unlearnkit)" >/dev/null
	touch $(STAMP)

setup: $(STAMP)

# Maintainers' tools (pytest, jupytext) on top of the students' environment.
$(DEVSTAMP): $(STAMP) requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(DEVSTAMP)

setup-dev: $(DEVSTAMP)

# Students' JupyterLab: scripts/bundle/jupyter_config/ (shipped in the bundle as jupyter_config/)
# switches off nbgrader's instructor tools and the news toast and keeps Validate. Instructors'
# JupyterLab: scripts/jupyter_instructor/ (only the news toast off). README, "Student JupyterLab".
lab: $(STAMP)
	JUPYTER_CONFIG_PATH="$(CURDIR)/scripts/bundle/jupyter_config$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	  $(BIN)/jupyter lab --notebook-dir=. --port=$(LAB_PORT) $(ROOT_FLAG)

lab-instructor: $(STAMP)
	JUPYTER_CONFIG_PATH="$(CURDIR)/scripts/jupyter_instructor$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	  $(BIN)/jupyter lab --notebook-dir=. --port=$(LAB_PORT) $(ROOT_FLAG)

# The whole suite, in two pytest runs. First everything but the markers site and browser, on $(JOBS)
# workers; tests of one notebook or problem set share a worker (tests/conftest.py schedules them
# together) so each notebook executes once, and every lecture that ran cleanly is saved to
# build/executed/. Then, in one process, the tests marked site or browser: the course site is built
# from those saved executions and read in headless Chromium (skipped, with the reason, where Debian's
# chromium is missing). A run that selects nothing (pytest's exit 5, e.g. PYTEST_ARGS='-k ps02' in
# the second run) is not a failure; the first always collects tests/test_repo.py.
test: $(DEVSTAMP)
	@test -d tests || { echo "tests/ is not part of the student bundle: use the course repository"; exit 2; }
	$(BIN)/python -m pytest -n $(JOBS) -m "not site and not browser" $(PYTEST_ARGS) || test $$? -eq 5
	$(BIN)/python -m pytest -m "site or browser" $(PYTEST_ARGS) || test $$? -eq 5

# The course site (README, "Course site"): build/site/index.html from the lectures `make test` left
# executed in build/executed/ (a missing or changed one is executed now), Sphinx + myst-nb, offline.
site: $(DEVSTAMP)
	$(PY) scripts/build_site.py

test-fast: $(DEVSTAMP)
	$(BIN)/python -m pytest -n $(JOBS) -m "not notebook and not grading" $(PYTEST_ARGS)

# Sources in course/ -> lectures/*.ipynb and solutions/*/*.ipynb (refuses to overwrite a notebook edited
# in JupyterLab: scripts/nbsource.py pull carries such an edit into its source), then the release.
notebooks: $(DEVSTAMP)
	$(PY) scripts/nbsource.py build
	$(MAKE) exercises
	$(PY) scripts/course_map.py --write

# The sources in course/ laid out by ruff's formatter (course/ruff.toml: 100 characters, what a
# JupyterLab cell shows; tests/test_line_length.py checks it and every notebook's code lines).
format: $(DEVSTAMP)
	$(PY) scripts/nbsource.py format
	@echo "sources formatted; run make notebooks to rebuild the notebooks from them"

NB ?=
preview: $(DEVSTAMP)
	@test -n "$(NB)" || { echo "name a notebook: make preview NB=01_why_unlearn (or NB=ps01_why_unlearn)"; exit 2; }
	$(PY) scripts/nbsource.py preview $(NB)

exercises: $(DEVSTAMP)
	$(PY) scripts/make_exercises.py

# Only the fast check that exercises/ is what nbgrader generates from solutions/.
check-exercises: $(DEVSTAMP)
	$(BIN)/python -m pytest tests/test_grading.py tests/test_repo.py -k "test_4_ or release or assignment" $(PYTEST_ARGS)

# From the files git tracks; refuses run or edited notebooks and a release that is not nbgrader's.
release: $(STAMP)
	$(PY) scripts/make_release.py

benchmark: $(DEVSTAMP)
	$(PY) scripts/benchmark.py

course-map: $(DEVSTAMP)
	$(PY) scripts/course_map.py --write

# Only what can be rebuilt. Students' work and grades stay: submitted/, autograded/, feedback/,
# gradebook.db, and release_bundle/ (someone may be working in it); delete them yourself.
clean:
	rm -rf $(VENV) preview solution_release
