"""A house without circles: the modules of `rust/src` and of the Python package import each
other one way only. Read from the sources: `crate::`/`super::` paths in Rust (a `mod.rs` and
its own children aside), `barter_python.*` imports in Python (the compiled module aside)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUST = ROOT / "rust" / "src"
PYTHON = ROOT / "src" / "barter_python"

Graph = dict[str, set[str]]


def rust_module(path: Path) -> str:
    parts = list(path.relative_to(RUST).with_suffix("").parts)
    if parts[-1] == "mod":
        parts.pop()
    return "::".join(parts)


def rust_graph() -> Graph:
    files = {rust_module(p): p for p in RUST.rglob("*.rs") if "bin" not in p.parts}
    files.pop("lib")
    graph: Graph = {module: set() for module in files}
    for module, path in files.items():
        code = re.sub(r"//[^\n]*", "", path.read_text())
        parent = module.rpartition("::")[0]
        for root, rest in re.findall(r"\b(crate|super)::(\{[^;]*\}|\w+(?:::\w+)*)", code):
            base = "" if root == "crate" else parent
            heads = re.findall(r"(?:^|[{,])\s*(\w+(?:::\w+)*)", rest)
            for head in heads:
                target = resolve(files, base, head.split("::"))
                if target and target != module and not family(module, target):
                    graph[module].add(target)
    return graph


def resolve(files: dict[str, Path], base: str, segments: list[str]) -> str | None:
    """The deepest module a path names (`engine::keys::Keys` -> `engine::keys`)."""
    found = base or None
    prefix = base
    for segment in segments:
        prefix = f"{prefix}::{segment}" if prefix else segment
        if prefix not in files:
            break
        found = prefix
    return found


def family(a: str, b: str) -> bool:
    """A `mod.rs` and one of its own children."""
    return a.rpartition("::")[0] == b or b.rpartition("::")[0] == a


def python_module(path: Path) -> str:
    """`book`, `backtest.run`; a package is its `__init__`, named `backtest` for a subpackage."""
    parts = list(path.relative_to(PYTHON).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def python_graph() -> Graph:
    modules = {python_module(p): p for p in PYTHON.rglob("*.py")}
    graph: Graph = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.module):
                continue
            parts = node.module.split(".")
            if parts[0] != "barter_python":
                continue
            base = ".".join(parts[1:])
            if base and base in modules:
                # `from barter_python.backtest import run`: a submodule, if one is named
                targets = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
                targets = targets or [base]
            elif base:
                continue  # the compiled module
            else:  # `from barter_python import x`: a module, or an attribute of the package
                names = [a.name for a in node.names if a.name != "_native"]  # compiled
                targets = [n if n in modules else "__init__" for n in names]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def cycle(graph: Graph) -> list[str] | None:
    """One import cycle of `graph`, if it has any."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_parsers_see_the_imports() -> None:
    rust = rust_graph()
    assert "engine::keys" in rust["engine::strategy"]
    assert "book::state" in rust["engine::keys"]
    assert rust["bind::classes"] == set()
    python = python_graph()
    assert "snapshot" in python["book"]
    assert "backtest.summary" in python["backtest.run"]
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_rust_modules_import_one_way() -> None:
    assert cycle(rust_graph()) is None


def test_the_risk_manager_never_imports_the_engine() -> None:
    """The engine depends on the risk limits (barter's `RiskManager`), never the reverse."""
    rust = rust_graph()
    assert "risk" in rust["engine"]
    risk = [module for module in rust if module.split("::")[0] == "risk"]
    engine = {(m, t) for m in risk for t in rust[m] if t.split("::")[0] == "engine"}
    assert engine == set()


def test_error_is_a_leaf() -> None:
    """Every module may raise the SDK's errors: `error.rs` itself depends on nothing but the
    table of Python classes."""
    assert rust_graph()["bind::error"] <= {"bind::classes"}


# Spec §3: the native side is folded by barter's concepts, with the Python package's names.
CONCEPTS = {"bind", "order", "book", "market", "engine", "exchange", "backtest", "live", "risk"}


def test_rust_is_folded_by_concept() -> None:
    folders = {p.name for p in RUST.iterdir() if p.is_dir()} - {"bin"}
    assert folders == CONCEPTS
    root_files = sorted(p.name for p in RUST.glob("*.rs"))
    assert "lib.rs" in root_files and len(root_files) <= 3, root_files


def test_the_native_module_never_imports_the_package() -> None:
    """pydantic-core's rule: the package imports the native module, never the reverse; the only
    `barter_python` modules the Rust code names as strings are its own (`_native` and its
    `strategy` submodule, for pickling and `sys.modules`);
    the package hands its classes over (`bind_classes`)."""
    named = {
        (path.relative_to(RUST).as_posix(), module)
        for path in RUST.rglob("*.rs")
        for module in re.findall(r'"(barter_python(?:\.\w+)*)"', path.read_text())
        if not module.startswith("barter_python._native")
    }
    assert named == set()


def test_python_modules_import_one_way() -> None:
    assert cycle(python_graph()) is None


def test_the_package_exports_each_public_name_from_its_home() -> None:
    """`barter_python` imports its names on first use: every name of `__all__` has a home, is
    the object defined there, and is what type checkers are told it is."""
    import importlib

    import barter_python

    homes = barter_python._HOME_OF
    assert sorted(homes) == sorted(barter_python.__all__)
    for name, home in homes.items():
        assert getattr(barter_python, name) is getattr(importlib.import_module(home), name)
    tree = ast.parse((PYTHON / "__init__.py").read_text())
    declared = {
        alias.name: node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if node.module is not None and node.module.startswith("barter_python")
    }
    assert declared == homes


def test_flatten_of_a_csv_book_loads_neither_pydantic_nor_the_backtest() -> None:
    """The command starts fast: a CSV book is read and closed natively."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from barter_python.cli import main\n"
        "try:\n"
        "    main(['flatten', '-', '--input-format', 'csv', '-q'])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code in (0, None), exit.code\n"
        "loaded = [m for m in ('pydantic', 'barter_python.backtest', 'barter_python.snapshot')"
        " if m in sys.modules]\n"
        "print(loaded, file=sys.stderr)\n"
    )
    book = "exchange,instrument,base,quote,price,side,quantity\nokx,btc_usdt,btc,usdt,5,Buy,1\n"
    run = subprocess.run(
        [sys.executable, "-c", script], input=book, capture_output=True, text=True, check=True
    )
    assert '"side":"Sell"' in run.stdout
    assert run.stderr.strip() == "[]"


def test_every_exception_class_is_defined_in_errors_and_exported() -> None:
    """`errors.py` is the one home of the SDK's exceptions (a class of the compiled module is
    re-exported there), and `barter_python` exports every public one."""
    import importlib
    import pkgutil

    import barter_python
    from barter_python import errors

    homes = {"barter_python.errors", "barter_python._native"}
    elsewhere = set()
    for info in pkgutil.walk_packages(barter_python.__path__, "barter_python."):
        if info.name == "barter_python.__main__":
            continue  # importing it runs the command line
        for value in vars(importlib.import_module(info.name)).values():
            if isinstance(value, type) and issubclass(value, BaseException):
                module = value.__module__
                if module.startswith("barter_python.") and module not in homes:
                    elsewhere.add(f"{module}.{value.__qualname__}")
    assert elsewhere == set()
    public = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, BaseException) and not name.startswith("_")
    }
    assert {"BarterPythonError", "BookError", "StrategyImportError", "MarketDataError"} <= public
    assert public <= set(barter_python.__all__), public - set(barter_python.__all__)


def test_the_strategy_module_defines_the_strategy_kit() -> None:
    """`barter_python.strategy` is the home of what barter calls a strategy; the engine's module
    re-exports it, the same objects."""
    import barter_python.engine
    import barter_python.strategy

    names = [
        "CancelOrdersOnDisconnect", "ClosePositionsOnTradingDisabled", "DefaultStrategy",
        "Strategy", "cancel_orders_on_disconnect", "close_positions_on_trading_disabled",
        "build_ioc_market_order_to_close_position", "close_open_positions_with_market_orders",
    ]  # fmt: skip
    for name in names:
        value = getattr(barter_python.strategy, name)
        assert value.__module__ == "barter_python.strategy", name
        if name in barter_python.engine.__all__:
            assert getattr(barter_python.engine, name) is value, name
    assert barter_python.engine.Strategy is barter_python.strategy.Strategy
    assert barter_python.engine.Requests is barter_python.strategy.Requests
    defined = {
        node.name
        for node in ast.parse((PYTHON / "strategy.py").read_text()).body
        if isinstance(node, ast.ClassDef)
    }
    assert {"Strategy", "DefaultStrategy"} <= defined
