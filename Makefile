# One target per developer action. `make demo` and `make check` are the README's two commands;
# each does its own set-up (virtual environment, dependencies, release build) on a fresh clone.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WHEELS := target/wheels
SOURCES := src stubs tests_py examples benchmarks

.PHONY: help venv build demo engine-demo backtest-demo strategy-demo backtest-sample check test-rust test-py lint typecheck stubtest bench bench-quick nautilus-venv hftbacktest-venv fuzz leak leak-quick test-ray format clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/maturin:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "maturin>=1.9,<2"

venv: $(BIN)/maturin ## create the virtual environment with the build tool

build: venv ## release-build the wheel and install it, with its runtime and dev dependencies and every table/plot/report extra and Dask (Ray: make test-ray)
	rm -rf $(WHEELS)
	$(BIN)/maturin build --release --out $(WHEELS)
	$(BIN)/pip install --quiet --force-reinstall --no-deps $(WHEELS)/*.whl
	$(BIN)/pip install --quiet "$$(ls $(WHEELS)/*.whl)[dev,arrow,pandas,polars,plot,report,examples,dask]"

demo: build ## flatten the bundled sample book and print barter's orders
	$(BIN)/barter-python flatten --sample --format table

test-rust: ## Rust unit tests, including the EngineState equivalence property test
	cargo test --release

test-py: ## pytest against the installed wheel
	$(BIN)/pytest

lint: ## ruff (lint and format) and rustfmt
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)
	cargo fmt --check

typecheck: ## mypy --strict on the package, tests, examples and benchmarks
	$(BIN)/mypy $(SOURCES)

stubtest: ## the stubs against the installed compiled module
	$(BIN)/python -m mypy.stubtest --mypy-config-file stubs/stubtest.ini barter_python._native

check: build test-rust test-py lint typecheck stubtest engine-demo backtest-demo strategy-demo bench-quick leak-quick ## every check CI runs

bench: build ## benchmarks: SDK vs pure Rust, pure Python and barter's builder; engine, backtest, simulated exchange and its conditional orders (beside NautilusTrader if `make nautilus-venv`), the live system on loopback, sweep throughput, vendor file loads and the catalog's streaming replay (prints ratios)
	cargo build --release --bin bench_native --bin bench_engine
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/flatten_cli.py
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/backtest.py
	$(BIN)/python benchmarks/exchange.py
	$(BIN)/python benchmarks/conditional.py
	$(BIN)/python benchmarks/live.py
	$(BIN)/python benchmarks/strategy_kit.py
	$(BIN)/python benchmarks/sweep.py
	$(BIN)/python benchmarks/tables.py
	$(BIN)/python benchmarks/vendor_load.py
	$(BIN)/python benchmarks/catalog.py
	$(BIN)/python benchmarks/depth.py

bench-quick: build ## the benchmarks at small sizes, as CI runs them
	cargo build --release --bin bench_native --bin bench_engine
	$(BIN)/python benchmarks/run.py --quick
	$(BIN)/python benchmarks/flatten_cli.py --quick
	$(BIN)/python benchmarks/engine.py --quick
	$(BIN)/python benchmarks/backtest.py --quick
	$(BIN)/python benchmarks/exchange.py --quick
	$(BIN)/python benchmarks/conditional.py --quick
	$(BIN)/python benchmarks/live.py --quick
	$(BIN)/python benchmarks/strategy_kit.py --quick
	$(BIN)/python benchmarks/sweep.py --quick
	$(BIN)/python benchmarks/tables.py --quick
	$(BIN)/python benchmarks/vendor_load.py --quick
	$(BIN)/python benchmarks/catalog.py --quick
	$(BIN)/python benchmarks/depth.py --quick

nautilus-venv: ## NautilusTrader from PyPI in its own .nautilus-venv, for benchmarks/exchange.py to compare with (not a dependency)
	$(PYTHON) -m venv .nautilus-venv
	.nautilus-venv/bin/pip install --quiet --upgrade pip
	.nautilus-venv/bin/pip install --quiet nautilus_trader

hftbacktest-venv: ## hftbacktest from PyPI in its own .hftbacktest-venv, for benchmarks/depth.py to compare with (not a dependency)
	$(PYTHON) -m venv .hftbacktest-venv
	.hftbacktest-venv/bin/pip install --quiet --upgrade pip
	.hftbacktest-venv/bin/pip install --quiet hftbacktest

test-ray: build ## the sweep test on a local Ray cluster (installs the scale extra: Dask and Ray)
	$(BIN)/pip install --quiet "$$(ls $(WHEELS)/*.whl)[scale]"
	RUN_RAY=1 $(BIN)/pytest -p no:cacheprovider tests_py/test_sweep.py -k ray

fuzz: build ## the hypothesis fuzz suite at 10,000 examples per test (the exchange's property suite at 2,000)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -p no:cacheprovider tests_py/test_fuzz.py tests_py/test_book_file.py tests_py/test_exchange.py tests_py/test_properties.py tests_py/test_live_hostile.py

leak: build ## 10^6 calls per strategy function, 10^5 error paths; RSS growth must stay < 5 MB
	$(BIN)/python benchmarks/leak.py

leak-quick: build ## the leak check at a tenth of the calls, as CI runs it
	$(BIN)/python benchmarks/leak.py --quick

format: ## apply ruff and rustfmt formatting
	$(BIN)/ruff check --fix $(SOURCES)
	$(BIN)/ruff format $(SOURCES)
	cargo fmt

clean: ## remove build outputs (keeps the virtual environment)
	rm -rf target dist

engine-demo: build ## barter's Engine with a Python strategy on bundled market data (disconnect, trading off)
	$(BIN)/python examples/engine_demo.py

backtest-demo: build ## backtest the example SMA strategy on the bundled market data (barter's and textbook statistics)
	$(BIN)/barter-python backtest --sample

strategy-demo: build ## the strategy kit's example: an SMA cross with an RSI filter on bars, sized by order_percent
	$(BIN)/python examples/sma_rsi_bars.py

backtest-sample: venv ## rewrite the bundled backtest market data (seeded: the same file every time)
	$(BIN)/python examples/make_backtest_sample.py
