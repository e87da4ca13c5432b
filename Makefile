# sequex: every target creates the virtualenv and installs what it needs, so a fresh clone works.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONFIG ?= config/demo.toml
# The compiled hot path (engine/native.py lists the modules): rebuilt whenever a source changes.
NATIVE_SOURCES := $(shell find engine journal tools/loadgen -name '*.py' -o -name '*.pxd') setup.py
NATIVE := engine/build_stamp.json

.PHONY: run test lint fmt bench stress build clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# pip install -e builds the extension modules in place; after that, an edited source only needs
# Cython and gcc on what changed.
$(NATIVE): $(STAMP) $(NATIVE_SOURCES)
	$(BIN)/python setup.py --quiet build_ext --inplace
	touch $(NATIVE)

build: $(NATIVE)

run: $(NATIVE)
	$(BIN)/sequex run --config $(CONFIG)

lint: $(NATIVE)
	$(BIN)/ruff check disruptor journal engine tools sequex tests perf setup.py
	$(BIN)/ruff format --check disruptor journal engine tools sequex tests perf setup.py
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format disruptor journal engine tools sequex tests perf setup.py
	$(BIN)/ruff check --fix disruptor journal engine tools sequex tests perf setup.py

# Debian's Chromium and ChromeDriver, which the views' browser test drives headless
# (tests/integration/test_views_page.py). Installed with apt when missing (CI is root on a fresh
# machine; apt's lists may need an update first); anything else fails here, loudly: the test
# never skips.
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" != 0 ]; then \
		echo "make browser: /usr/bin/chromium or /usr/bin/chromedriver is missing;" \
			"as root: apt-get install -y chromium chromium-driver" >&2; exit 1; \
	else \
		$(APT_INSTALL) chromium chromium-driver \
		|| { apt-get -o DPkg::Lock::Timeout=600 update && $(APT_INSTALL) chromium chromium-driver; }; \
	fi
	@/usr/bin/chromium --version 2>/dev/null && /usr/bin/chromedriver --version

test: $(NATIVE) lint browser
	$(BIN)/python -m pytest -q -m "not stress" -p no:cacheprovider

stress: $(NATIVE)
	SEQUEX_STRESS_SECONDS=$${SEQUEX_STRESS_SECONDS:-120} $(BIN)/python -m pytest -q -rP -m stress -p no:cacheprovider

bench: $(NATIVE)
	$(BIN)/python perf/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
	find engine -name '*.so' -delete
	rm -f $(NATIVE)
