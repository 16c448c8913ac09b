# tongban: `make demo` serves the demo on 127.0.0.1:8000; `make test` runs the whole suite.
# Needs only Python >= 3.11 and make; everything else is installed here (system packages via apt when root).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
APT_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b poppler-utils
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
# make's targets run the demo: its published keys (production sets its own; see README, Security)
export TONGBAN_DEMO ?= 1

.PHONY: demo test venv system-deps browser-deps migrate serve openapi bench clean

venv: $(STAMP)

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tongban needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

# CJK fonts for printed documents (Typst; Pango for the WeasyPrint comparison in bench/documents.py). Installed only where we are root with apt.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "note: missing system packages:$$missing (install them with apt as root)"; fi; \
	fi

browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium for browser tests"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: /usr/bin/chromium missing and cannot be installed here: browser tests will be skipped"; fi; \
	fi

migrate: venv
	$(BIN)/python manage.py migrate --noinput

# The demo runs three processes: the background worker (django-tasks), the scheduler that enqueues the
# daily clock scan each working morning, and the web server. Ctrl-C stops all three.
demo: venv system-deps migrate
	$(BIN)/python manage.py load_demo
	@echo "通办演示:http://127.0.0.1:8000/  管理后台:http://127.0.0.1:8000/admin/  API 文档:http://127.0.0.1:8000/api/v1/docs"
	@echo "后台任务日志:var/worker.log  定时任务日志:var/schedule.log"
	@$(BIN)/python manage.py db_worker > var/worker.log 2>&1 & worker=$$!; \
	 $(BIN)/python manage.py run_schedule > var/schedule.log 2>&1 & sched=$$!; \
	 trap 'kill $$worker $$sched 2>/dev/null' EXIT INT TERM; \
	 $(BIN)/python manage.py runserver 127.0.0.1:8000

test: venv system-deps browser-deps
	PG_URL=$(PG_URL) bash scripts/test.sh

openapi: venv
	$(BIN)/python manage.py export_openapi > docs/openapi.json

bench: venv system-deps
	$(BIN)/pip install --quiet -r requirements-bench.txt
	$(BIN)/python bench/documents.py
	$(BIN)/python bench/catalog.py
	$(BIN)/python bench/catalog.py --database-url $(subst /test,/tongban_bench,$(PG_URL))
	$(BIN)/python bench/clocks.py --database-url $(subst /test,/tongban_bench_clocks,$(PG_URL))
	$(BIN)/python bench/intake.py --database-url $(subst /test,/tongban_bench_intake,$(PG_URL))
	$(BIN)/python bench/workflow.py --database-url $(subst /test,/tongban_bench_workflow,$(PG_URL))

clean:
	rm -rf $(VENV) var/*.sqlite3* var/audit-seals.jsonl  # the seal journal belongs to the database it anchors
