# Vistazo on a fresh Debian 12 machine: `make run` opens the app, `make test` runs every test.
# Both install what is missing first (system packages as root, the libtorch virtualenv always)
# and are quick to re-run once everything is there.
#
# Installing: `make build`, then `make install` (PREFIX=/usr/local, DESTDIR for staging; APP_ID
# names the installed files, as the Flatpak's development build does). `install-bin` installs the
# release binary that `make build` or `make release` made; `install-data` everything else.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
DESTDIR ?=
APP_ID ?= io.github.vistazo.Vistazo
CARGO ?= cargo
PYTHON ?= python3
VENV := $(CURDIR)/.venv
RELEASE_BIN ?= $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)/release/vistazo
# The libtorch libraries the binary loads, installed beside it (its RUNPATH points there).
VISTAZO_LIBDIR = $(PREFIX)/lib/vistazo
TORCH_VERSION := 2.13.0
TORCH_STAMP := $(VENV)/.torch-$(TORCH_VERSION)
# The reference the interiors quality test compares against: the seed's scikit-learn models.
SKLEARN_STAMP := $(VENV)/.scikit-learn

# What building, running and testing need from Debian.
APT_PACKAGES := build-essential pkg-config libgtk-4-dev libadwaita-1-dev libglib2.0-dev-bin \
	libsqlite3-dev libarchive-dev libpoppler-glib-dev gettext desktop-file-utils appstream locales python3-venv \
	xvfb xauth xdotool imagemagick dbus-x11 dbus-daemon adwaita-icon-theme fonts-cantarell fonts-dejavu-core \
	flatpak-builder patchelf gnome-keyring python3-pyatspi at-spi2-core

# tch builds against the libtorch inside the virtualenv's PyTorch, unless LIBTORCH names another
# one (the Flatpak build does).
ifeq ($(origin LIBTORCH),undefined)
export LIBTORCH_USE_PYTORCH := 1
endif
export PATH := $(VENV)/bin:$(PATH)

.PHONY: run test build release lint deps system-packages locales rust venv \
	install install-bin install-data uninstall

run: deps
	$(CARGO) run --release --

build: deps release

# The release binary alone, with what is already installed (the Flatpak build runs this).
release:
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

# The installed files, named after APP_ID, with what po/ translates merged in.
ID := io.github.vistazo.Vistazo
SCHEMA := $(ID).gschema.xml
LANGUAGES := $(shell grep -v '^\#' po/LINGUAS)
INSTALLED_DATA := \
	$(DATADIR)/applications/$(APP_ID).desktop \
	$(DATADIR)/metainfo/$(APP_ID).metainfo.xml \
	$(DATADIR)/glib-2.0/schemas/$(SCHEMA) \
	$(DATADIR)/icons/hicolor/scalable/apps/$(APP_ID).svg \
	$(DATADIR)/icons/hicolor/symbolic/apps/$(APP_ID)-symbolic.svg \
	$(foreach lang,$(LANGUAGES),$(DATADIR)/locale/$(lang)/LC_MESSAGES/vistazo.mo)
RENAME_ID := sed 's/$(subst .,\.,$(ID))/$(APP_ID)/g'

install: install-bin install-data
	@# Like Meson's post-install: refresh the system caches unless staging for a package
	@# (flatpak-builder and distribution packages do it themselves).
	@if [ -z "$(DESTDIR)" ]; then \
		glib-compile-schemas "$(DATADIR)/glib-2.0/schemas"; \
		if command -v gtk4-update-icon-cache >/dev/null; then gtk4-update-icon-cache -qtf "$(DATADIR)/icons/hicolor"; \
		elif command -v gtk-update-icon-cache >/dev/null; then gtk-update-icon-cache -qtf "$(DATADIR)/icons/hicolor"; fi; \
		if command -v update-desktop-database >/dev/null; then update-desktop-database -q "$(DATADIR)/applications"; fi; \
	fi

install-bin:
	@test -x "$(RELEASE_BIN)" || { echo "$(RELEASE_BIN) is missing: run make build (or make release) first" >&2; exit 1; }
	install -Dm755 "$(RELEASE_BIN)" "$(DESTDIR)$(BINDIR)/vistazo"
	@# The libraries it finds through its build-time RUNPATH go beside it (the checkout can go).
	build-aux/bundle-libraries.sh "$(RELEASE_BIN)" "$(DESTDIR)$(BINDIR)/vistazo" \
		"$(DESTDIR)$(VISTAZO_LIBDIR)" "$(PREFIX)"

install-data:
	install -d "$(DESTDIR)$(DATADIR)/applications" "$(DESTDIR)$(DATADIR)/metainfo"
	msgfmt --desktop -d po --template data/$(ID).desktop.in -o - \
		| $(RENAME_ID) > "$(DESTDIR)$(DATADIR)/applications/$(APP_ID).desktop"
	msgfmt --xml -d po --template data/$(ID).metainfo.xml.in -o - \
		| $(RENAME_ID) > "$(DESTDIR)$(DATADIR)/metainfo/$(APP_ID).metainfo.xml"
	chmod 644 "$(DESTDIR)$(DATADIR)/applications/$(APP_ID).desktop" \
		"$(DESTDIR)$(DATADIR)/metainfo/$(APP_ID).metainfo.xml"
	install -Dm644 data/$(SCHEMA) "$(DESTDIR)$(DATADIR)/glib-2.0/schemas/$(SCHEMA)"
	install -Dm644 data/icons/hicolor/scalable/apps/$(ID).svg \
		"$(DESTDIR)$(DATADIR)/icons/hicolor/scalable/apps/$(APP_ID).svg"
	install -Dm644 data/icons/hicolor/symbolic/apps/$(ID)-symbolic.svg \
		"$(DESTDIR)$(DATADIR)/icons/hicolor/symbolic/apps/$(APP_ID)-symbolic.svg"
	for lang in $(LANGUAGES); do \
		install -d "$(DESTDIR)$(DATADIR)/locale/$$lang/LC_MESSAGES"; \
		msgfmt --check -o "$(DESTDIR)$(DATADIR)/locale/$$lang/LC_MESSAGES/vistazo.mo" po/$$lang.po; \
	done

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/vistazo" $(foreach file,$(INSTALLED_DATA),"$(DESTDIR)$(file)")
	rm -rf "$(DESTDIR)$(VISTAZO_LIBDIR)"
	@if [ -z "$(DESTDIR)" ] && [ -d "$(DATADIR)/glib-2.0/schemas" ]; then \
		glib-compile-schemas "$(DATADIR)/glib-2.0/schemas"; fi
