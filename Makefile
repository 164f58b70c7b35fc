# The two commands of README.md: `make demo` and `make test`. Everything else here serves them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEMO_ENV := JIESU_DEMO=1 JIESU_ROUTING_AUTO_DISPATCH_THRESHOLD=0.8
# PostgreSQL memory for the large benchmarks, as docs/operations.md recommends for production (the throwaway
# cluster otherwise runs with the 128 MB default).
PG_BENCH_OPTS := -c shared_buffers=2GB -c max_wal_size=8GB -c checkpoint_timeout=30min -c work_mem=64MB -c maintenance_work_mem=512MB

.PHONY: demo test venv lint bench bench-helpdesk bench-sla bench-partitioning bench-kpi bench-policies bench-duplicates bench-cases bench-todo

demo: venv
	$(DEMO_ENV) $(BIN)/jiesu migrate --noinput
	$(DEMO_ENV) $(BIN)/jiesu seed-demo
	@echo "打开 http://127.0.0.1:8000/ （API 文档：http://127.0.0.1:8000/api/v1/docs）"
	$(DEMO_ENV) $(BIN)/jiesu runserver 127.0.0.1:8000 --insecure

test: venv
	bash scripts/test.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	bash scripts/bootstrap.sh "$(PYTHON)" "$(VENV)"
	touch $@

lint: venv
	$(BIN)/ruff check jiesu benchmarks

bench: venv
	bash scripts/bench.sh benchmarks/intake.py

bench-helpdesk: venv
	bash scripts/bench.sh benchmarks/side_by_side.py $(ARGS)

bench-sla: venv
	PG_EXTRA_OPTS="$(PG_BENCH_OPTS)" bash scripts/bench-pg.sh benchmarks/sla_sweep.py

bench-partitioning: venv
	PG_EXTRA_OPTS="$(PG_BENCH_OPTS)" bash scripts/bench-pg.sh benchmarks/partitioning.py $(ARGS)

bench-todo: venv
	bash scripts/bench-pg.sh benchmarks/worklists_search.py $(ARGS)

bench-kpi: venv
	bash scripts/bench-pg.sh benchmarks/kpi.py $(ARGS)

bench-policies: venv
	bash scripts/bench-pg.sh benchmarks/policy_match.py $(ARGS)

bench-duplicates: venv
	bash scripts/bench-pg.sh benchmarks/duplicates.py $(ARGS)

bench-cases: venv
	bash scripts/bench-pg.sh benchmarks/similar_cases.py $(ARGS)
