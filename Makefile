# 重大项目全链条推进平台 — everyday commands.
#
#   make run    set up, migrate, load demo data, serve web + Celery worker + beat (Ctrl-C stops all)
#   make test   set up, run the test suite (make test ARGS="-k scope -x")
#
# DATABASE_URL and REDIS_URL are read from the environment; without them the platform uses
# SQLite under var/ and a broker-less Celery transport, so nothing needs a server.

PYTHON ?= python3
VENV   ?= .venv
HOST   ?= 127.0.0.1
PORT   ?= 8000
ARGS   ?=

BIN     := $(VENV)/bin
PIP     := $(BIN)/python -m pip install --disable-pip-version-check
# Re-install only when the declared dependencies change. `make run` needs the platform and
# honcho (the run extra); the other targets need the test and lint tools too (the dev extra,
# which includes the run extra).
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

export PYTHONUNBUFFERED := 1

.DEFAULT_GOAL := help
.PHONY: help install browser pdf-libs run test lint messages ci clean distclean backup restore bench

help:
	@echo "make run        install, migrate, seed demo data, serve http://$(HOST):$(PORT)/ with worker and beat"
	@echo "make test       install, run pytest (pass options with ARGS=...)"
	@echo "make install    create $(VENV) and install the project with its dev extra"
	@echo "make lint       ruff check"
	@echo "make messages  update and compile the English translations (locale/en)"
	@echo "make ci         the full CI script (.ci/run)"
	@echo "make bench      every benchmark against its floor; one table in bench/RESULTS.md and README"
	@echo "make backup     back up the database (PostgreSQL) and the stored files into var/backups"
	@echo "make restore BACKUP=var/backups/backup-…  restore a backup into a new, empty database"
	@echo "make clean      remove caches and generated files under var/ (keeps the database)"
	@echo "make distclean  clean, and remove $(VENV), the SQLite database and var/media"

# A current pip installs the dependencies in less time than the one a new venv comes with, more
# than making up for installing itself.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) -e ".[run]"
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) -e ".[dev]"
	@touch $@ $(RUN_STAMP)

install: $(DEV_STAMP)

# The browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
CHROMIUM ?= /usr/bin/chromium
SUDO     := $(shell [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null && echo sudo)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null

browser: $(CHROMIUM)

# WeasyPrint draws the PDFs with Pango and subsets fonts with HarfBuzz (Debian packages; the
# Chinese fonts themselves ship with the project, see reports/pdf.py).
PDF_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0

pdf-libs:
	@if ! ldconfig -p | grep -q 'libharfbuzz-subset.so.0' || ! ldconfig -p | grep -q 'libpangoft2-1.0.so.0'; then \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(PDF_LIBS) >/dev/null; \
	fi

# Each step does only what is left to do: migrate applies new migrations, seed_demo loads the
# demo data once (later runs only check and repair it) and prints the logins with the address, the
# worker converts the PDF fonts once per machine (Procfile.dev). The web process runs the system
# checks, so migrate and seed_demo skip them. honcho gets `-e /dev/null`: a .env file belongs to
# docker-compose (production settings), not to local runs. Honcho hands PORT to the first
# Procfile entry (web); HOST is passed through. Pages answer as in production (DEBUG off: the
# platform's own error pages; config/settings/local.py); `DEBUG=1 make run` shows Django's.
run: $(RUN_STAMP) pdf-libs
	$(BIN)/python manage.py migrate --noinput --skip-checks
	$(BIN)/python manage.py seed_demo --skip-checks --url http://$(HOST):$(PORT)/
	@echo "  web + Celery worker + beat 同时运行；按 Ctrl-C 全部停止。"
	HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho start -f Procfile.dev -e /dev/null -p $(PORT)

test: install browser pdf-libs
	$(BIN)/pytest $(ARGS)

lint: install
	$(BIN)/ruff check .

# Every benchmark in a database of its own on the PostgreSQL server of BENCH_DATABASE_URL (each
# creates and drops bench_<name>_<pid>; the database named in the URL is not touched), its
# results as JSON lines, then one Markdown table (bench/report.py) written to bench/RESULTS.md
# and into the README's performance section. Each script runs at the sizes its goals name; the
# project library once more at national size (BENCH_NATIONAL projects; 0 leaves it out).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
BENCH_SCRIPTS      ?= $(basename $(notdir $(shell grep -l "^from harness import\|^import harness" bench/*.py)))
BENCH_NATIONAL     ?= 1000000
BENCH_RESULTS      := var/bench/results.jsonl

bench: install pdf-libs
	@mkdir -p $(dir $(BENCH_RESULTS)) && rm -f $(BENCH_RESULTS)
	@status=0; for script in $(BENCH_SCRIPTS); do \
		echo "==== bench/$$script.py"; \
		DATABASE_URL="$(BENCH_DATABASE_URL)" BENCH_RESULTS="$(BENCH_RESULTS)" \
			$(BIN)/python bench/$$script.py || status=1; \
	done; \
	if [ "$(BENCH_NATIONAL)" != 0 ]; then \
		echo "==== bench/project_library.py --projects $(BENCH_NATIONAL)"; \
		DATABASE_URL="$(BENCH_DATABASE_URL)" BENCH_RESULTS="$(BENCH_RESULTS)" \
			$(BIN)/python bench/project_library.py --projects $(BENCH_NATIONAL) || status=1; \
	fi; \
	$(BIN)/python bench/report.py $(BENCH_RESULTS) --readme README.md; \
	exit $$status

# Refresh the English catalogue after changing interface text (needs GNU gettext's msgfmt).
messages: install
	$(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=.venv313 --ignore=var --ignore=tests --ignore=node_modules
	$(BIN)/python manage.py compilemessages -l en --ignore=.venv --ignore=.venv313 --ignore=var --ignore=node_modules

ci:
	bash .ci/run

# Backup and restore (README "备份与恢复", core/backup.py): PostgreSQL only (DATABASE_URL). A
# backup is a folder under BACKUP_DIR (var/backups) with db.dump, media.tar and manifest.json;
# the newest BACKUP_KEEP (14) are kept. `make restore` loads one into the database in
# DATABASE_URL and the folder in MEDIA_ROOT, both new and empty (ARGS="--force" overwrites;
# ARGS="--database-url postgres://…/newdb --media-root DIR" restores elsewhere), and checks it.
backup: $(RUN_STAMP)
	$(BIN)/python manage.py backup $(ARGS)

restore: $(RUN_STAMP)
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=var/backups/backup-YYYYMMDDTHHMMSSZ [ARGS=...]"; exit 2; }
	$(BIN)/python manage.py restore "$(BACKUP)" $(ARGS)

clean:
	find . \( -path ./$(VENV) -o -path ./.venv313 \) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache *.egg-info var/celery var/celery-test var/staticfiles var/fonts

distclean: clean
	rm -rf $(VENV) .venv313 var/db.sqlite3 var/db.sqlite3-journal var/db.sqlite3-wal var/db.sqlite3-shm var/media
