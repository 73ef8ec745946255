"""`BacktestResult.report(path)`: one self-contained HTML file (the optional extra `report`)
holding the chart, the portfolio and per-instrument statistics and every order, with every
value escaped."""

from __future__ import annotations

import re
import sys
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from barter_python.backtest import BacktestResult, backtest
from barter_python.backtest.sample import SmaCross, sample_config, sample_data

SCRIPT = "<script>alert('x')</script>"


@cache
def result() -> BacktestResult:
    """The sample: 3 instruments, 6 orders of eth_usdt."""
    return backtest(SmaCross(), sample_data(), sample_config())


def report(tmp_path: Path, run: BacktestResult) -> str:
    pytest.importorskip("matplotlib")
    path = tmp_path / "report.html"
    run.report(path)
    return path.read_text(encoding="utf-8")


def test_the_report_holds_the_statistics_and_the_orders(tmp_path: Path) -> None:
    text = report(tmp_path, result())
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    stats = [
        value
        for item in result().portfolio
        for value in item.model_dump().values()
        if isinstance(value, Decimal)
    ]
    stats += [
        value
        for item in result().instruments
        for model in (item.barter, item.stats)
        for value in model.model_dump().values()
        if isinstance(value, Decimal)
    ]
    assert len(stats) > 30
    for value in stats:
        assert str(value) in text, value  # exact, shown or in the cell's title
    assert result().orders
    for order in result().orders:
        assert f"<td>{order.cid}</td>" in text
    assert text.count("<h2>") == 3


def test_the_report_is_self_contained(tmp_path: Path) -> None:
    text = report(tmp_path, result())
    assert "http://" not in text and "https://" not in text
    assert "<script" not in text and "<link" not in text
    assert re.findall(r'src="([^"]{0,22})', text) == ["data:image/png;base64,"]


def test_every_value_is_escaped(tmp_path: Path) -> None:
    run = result()
    order = run.orders[0].model_copy(update={"instrument": SCRIPT, "reason": SCRIPT})
    instrument = run.instruments[0].model_copy(update={"instrument": SCRIPT})
    hostile = run.model_copy(
        update={
            "id": SCRIPT,
            "orders": [order, *run.orders[1:]],
            "instruments": [instrument, *run.instruments[1:]],
        }
    )
    text = report(tmp_path, hostile)
    assert "<script" not in text
    assert text.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;") >= 5


def test_a_missing_extra_names_report(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` raises
    with pytest.raises(ImportError, match=r"pip install 'barter-python\[report\]'"):
        result().report(tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()
