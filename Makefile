# keras-course: every target creates .venv on first use and reinstalls only when the pins change.
#   make lab        JupyterLab on your workbook/ (exercises blank, lesson outputs kept), 127.0.0.1, token on
#   make lab-solutions  JupyterLab on chapters/ (with solutions: instructors, self-checking)
#   make test       utils unit tests + every chapter in smoke mode (what CI runs)
#   make test-full  every chapter in full mode, asserting its target metrics
#   make test-gpu   full mode on a GPU; stops at once if the backend sees none (GPU=1 installs CUDA pins)
#   make test-jax   the chapters that declare JAX, smoke mode, KERAS_BACKEND=jax (installs the JAX pins)
#   make site       the course site: every chapter as HTML with its committed outputs, nothing executed
#   make test-site  make site, then every page checked in headless chromium;  make lock-site  its lock
#   make data       download and verify every dataset into data/ (for offline classrooms)
#   make workbook   create/refresh workbook/ (never overwrites your edits);  make course  nbgrader course/
#   make doctor     environment report;  make reproduce  re-run chapters in full mode and keep outputs
#   make lint, make clean, make distclean, make lock, make lock-check (the lock resolves on Python 3.11-3.13)

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
REQUIREMENTS := $(if $(GPU),requirements-gpu.txt,requirements.txt)
STAMP := $(VENV)/.installed-$(if $(GPU),gpu,cpu)
# JAX (KERAS_BACKEND=jax) is an add-on pin set, installed by `make JAX=1 venv` or `make test-jax`.
JAX_REQUIREMENTS := $(if $(GPU),requirements-jax-gpu.txt,requirements-jax.txt)
JAX_STAMP := $(VENV)/.installed-jax-$(if $(GPU),gpu,cpu)
BIN := $(abspath $(VENV))/bin
CHAPTERS := $(sort $(wildcard chapters/[0-9][0-9]_*.ipynb))
PYTEST_NB := --nbval-lax --nbval-current-env --nbval-cell-timeout=300
# The course site has its own small environment (Jupyter Book, Playwright; no TensorFlow).
SITE_VENV ?= .venv-site
SITE_STAMP := $(SITE_VENV)/.installed
SITE_HTML := build/site/_build/html

export PATH := $(BIN):$(PATH)
export KERAS_BACKEND ?= tensorflow
export PYTHONHASHSEED ?= 0
# A clone with ../shared beside it (the course's CI layout) uses those local dataset copies.
ifeq ($(origin COURSE_DATA_DIR),undefined)
  ifneq ($(wildcard ../shared/datasets/mnist.npz),)
    export COURSE_DATA_DIR := $(abspath ../shared/datasets)
  endif
endif

.PHONY: help venv lab lab-solutions workbook course test test-full test-gpu test-jax data doctor reproduce lint clean \
        distclean lock lock-check site test-site lock-site

help:
	@sed -n '2,14p' Makefile | sed 's/^# *//'

$(STAMP): requirements.txt $(REQUIREMENTS) pyproject.toml
	@test -x $(VENV)/bin/python || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(VENV)/bin/python -m pip install --quiet --upgrade "pip==26.3" "setuptools==80.9.0"  # >= 77: SPDX license
	$(VENV)/bin/python -m pip install --quiet -r $(REQUIREMENTS)
	$(VENV)/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

$(JAX_STAMP): requirements-jax.txt $(JAX_REQUIREMENTS) $(STAMP)
	$(VENV)/bin/python -m pip install --quiet -r $(JAX_REQUIREMENTS)
	@touch $@

venv: $(STAMP) $(if $(JAX),$(JAX_STAMP))

LAB := jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.open_browser=False $(if $(filter 0,$(shell id -u)),--allow-root)

lab: workbook
	$(LAB) --ServerApp.root_dir=workbook

lab-solutions: $(STAMP)
	$(LAB) --ServerApp.root_dir=chapters

workbook: $(STAMP)
	python -m utils.workbook chapters workbook

course: $(STAMP)
	python -m utils.course chapters course

# Unit and wrong-answer tests on TEST_WORKERS processes (pytest-xdist), a whole test file per worker: a chapter's
# wrong-answer file shares one smoke run of the chapter (tests/exercise_mutations.py), the nbgrader file one course.
# Then the notebooks one at a time, so that each one's smoke time (budget 60 s, conftest.py) is measured on an
# otherwise idle machine. Both always run.
TEST_WORKERS ?= 2
test: $(STAMP)
	COURSE_MODE=smoke python -m pytest tests -n $(TEST_WORKERS) --dist loadfile || failed=1; \
	COURSE_MODE=smoke python -m pytest $(CHAPTERS) $(PYTEST_NB) || failed=1; \
	exit $${failed:-0}

# The chapters whose setup cell declares JAX (utils.setup_notebook(..., backends=...)), and the unit tests of the
# backend-neutral utils, under KERAS_BACKEND=jax.
# Chapter 03 runs on JAX too, but its smoke run takes about 4 minutes there on 2 CPU cores (XLA compiles each of
# its models and input shapes), over the 60 s smoke budget: test-jax leaves it out unless JAX_ALL=1 (budget lifted).
JAX_TESTS := tests/test_backends.py tests/test_distillation.py tests/test_frechet.py tests/test_gradients.py
JAX_SLOW := chapters/03_cifar10_cnn.ipynb
jax_chapters = $(shell $(BIN)/python -m utils.notebooks --list-supporting jax $(CHAPTERS))

test-jax: $(JAX_STAMP)
	KERAS_BACKEND=jax COURSE_MODE=smoke $(if $(JAX_ALL),COURSE_NOTEBOOK_BUDGET_S=600) python -m pytest $(JAX_TESTS) \
	  $(filter-out $(if $(JAX_ALL),,$(JAX_SLOW)),$(jax_chapters)) $(PYTEST_NB)

test-full: $(STAMP)
	COURSE_MODE=full python -m pytest $(CHAPTERS) $(PYTEST_NB) --nbval-cell-timeout=1800

# JAX=1: the chapters that declare JAX, under KERAS_BACKEND=jax (with GPU=1, JAX's CUDA pins).
test-gpu: $(STAMP) $(if $(JAX),$(JAX_STAMP))
	$(if $(JAX),KERAS_BACKEND=jax) python -m utils.doctor --require-gpu
	$(if $(JAX),KERAS_BACKEND=jax) COURSE_MODE=full python -m pytest $(if $(JAX),$(jax_chapters),$(CHAPTERS)) \
	  $(PYTEST_NB) --nbval-cell-timeout=1800

data: $(STAMP)
	python -m utils.download

doctor: $(STAMP)
	python -m utils.doctor

reproduce: $(STAMP)
	python -m utils.notebooks $(CHAPTERS) --mode full

# The course site: book/stage.py copies the chapters into build/site-src/ (with a note on which run produced each
# page's outputs, and the solutions behind a click), then Jupyter Book renders them without executing anything.
$(SITE_STAMP): requirements-site.txt
	@test -x $(SITE_VENV)/bin/python || { echo "creating $(SITE_VENV) with $(PYTHON)"; $(PYTHON) -m venv $(SITE_VENV); }
	$(SITE_VENV)/bin/python -m pip install --quiet --upgrade "pip==26.3"
	$(SITE_VENV)/bin/python -m pip install --quiet -r requirements-site.txt
	@touch $@

site: $(SITE_STAMP)
	$(SITE_VENV)/bin/python book/stage.py
	$(SITE_VENV)/bin/jupyter-book build --quiet build/site-src --path-output build/site
	@echo "the course site: open file://$(abspath $(SITE_HTML))/index.html"

# Every page in headless Debian chromium (apt-get install chromium); a missing chromium fails, never skips.
test-site: site
	COURSE_SITE_HTML=$(SITE_HTML) $(SITE_VENV)/bin/python -m pytest book -q

lint: $(STAMP)
	ruff check utils tests conftest.py chapters book

clean:
	rm -rf .pytest_cache .ruff_cache build *.egg-info course/source course/release course/submitted \
	  course/autograded course/feedback course/gradebook.db  # never workbook/: it holds the learner's work
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf
	rm -rf artifacts

distclean: clean
	rm -rf $(VENV) $(SITE_VENV)

# Regenerate the full lock from requirements.in in a throwaway environment.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -r requirements.in
	{ echo "# Full lock of keras-course's environment (Python 3.11, Linux x86-64)."; \
	  echo "# Generated by \`make lock\` from requirements.in; do not edit by hand."; \
	  .lock-venv/bin/pip freeze --all | grep -v '^pip=='; } > requirements.txt
	rm -rf .lock-venv

# The same for the site's environment: requirements-site.in -> requirements-site.txt.
lock-site:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -r requirements-site.in
	{ echo "# Full lock of the course site's environment, .venv-site (Python 3.11, Linux x86-64)."; \
	  echo "# Generated by \`make lock-site\` from requirements-site.in; do not edit by hand."; \
	  .lock-venv/bin/pip freeze --all | grep -v '^pip=='; } > requirements-site.txt
	rm -rf .lock-venv

# Prove that requirements.txt installs on every Python version pyproject.toml allows: pip's resolver against PyPI,
# wheels only, Linux x86-64 (~35 s, needs the network; offline is a failure here, a skip in `make test`).
lock-check: $(STAMP)
	COURSE_LOCK_CHECK=required python -m pytest tests/test_lock.py -q -rs
