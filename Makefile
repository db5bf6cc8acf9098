# Vistazo on a fresh Debian 12 machine: `make run` opens the app, `make test` runs every test.
# Both install what is missing first (system packages as root, the libtorch virtualenv always)
# and are quick to re-run once everything is there.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PREFIX ?= /usr/local
CARGO ?= cargo
PYTHON ?= python3
VENV := $(CURDIR)/.venv
TORCH_VERSION := 2.13.0
TORCH_STAMP := $(VENV)/.torch-$(TORCH_VERSION)
# The reference the interiors quality test compares against: the seed's scikit-learn models.
SKLEARN_STAMP := $(VENV)/.scikit-learn

# What building, running and testing need from Debian.
APT_PACKAGES := build-essential pkg-config libgtk-4-dev libadwaita-1-dev libglib2.0-dev-bin \
	libsqlite3-dev libarchive-dev libpoppler-glib-dev gettext desktop-file-utils appstream locales python3-venv \
	xvfb xauth xdotool imagemagick dbus-x11 adwaita-icon-theme fonts-cantarell fonts-dejavu-core

# tch builds against the libtorch inside the virtualenv's PyTorch.
export LIBTORCH_USE_PYTORCH := 1
export PATH := $(VENV)/bin:$(PATH)

.PHONY: run test build lint deps system-packages locales rust venv

run: deps
	$(CARGO) run --release --

build: deps
	$(CARGO) build --release

test: deps lint
	xvfb-run --auto-servernum --server-args="-screen 0 1280x800x24" \
		$(CARGO) test --all-targets

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

deps: system-packages locales rust venv

system-packages:
	@missing=""; \
	for package in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null | grep -q 'install ok installed' \
			|| missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" -eq 0 ]; then \
			echo "Installing system packages:$$missing"; \
			apt-get update -qq; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
		else \
			echo "Some system packages are missing. Install them with:" >&2; \
			echo "  sudo apt-get install -y$$missing" >&2; \
			exit 1; \
		fi; \
	fi

# The Spanish locale, so that the translation can be tested and seen.
locales: system-packages
	@if ! locale -a 2>/dev/null | grep -qix 'es_ES.utf8'; then \
		if [ "$$(id -u)" -eq 0 ]; then \
			sed -i -E 's/^# *(es_ES.UTF-8 UTF-8)/\1/; s/^# *(en_US.UTF-8 UTF-8)/\1/' /etc/locale.gen; \
			locale-gen; \
		else \
			echo "The es_ES.UTF-8 locale is missing. Add it with:" >&2; \
			echo "  sudo sed -i 's/^# *es_ES.UTF-8 UTF-8/es_ES.UTF-8 UTF-8/' /etc/locale.gen && sudo locale-gen" >&2; \
			exit 1; \
		fi; \
	fi

rust:
	@command -v $(CARGO) >/dev/null || { \
		echo "Rust is missing: install it with rustup (Rust 1.93 or newer), then run make again." >&2; \
		exit 1; }

venv: $(TORCH_STAMP) $(SKLEARN_STAMP)

$(TORCH_STAMP):
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is missing: sudo apt-get install -y python3 python3-venv" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check torch==$(TORCH_VERSION)
	$(VENV)/bin/python -c "import torch, sys; sys.exit(0 if torch.__version__.startswith('$(TORCH_VERSION)') else 1)"
	touch $@

$(SKLEARN_STAMP): $(TORCH_STAMP)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check scikit-learn
	$(VENV)/bin/python -c "import sklearn"
	touch $@
