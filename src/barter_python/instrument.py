"""barter-instrument's `Side` and `ExchangeId`, as Python enums valued by barter's serde names."""

from __future__ import annotations

from barter_python._enum import BarterEnum
from barter_python._native import bind_classes


class Side(BarterEnum):
    """barter's `Side`; ``Side("buy")``, ``Side("b")`` work as in barter's serde."""

    BUY = "Buy"
    SELL = "Sell"


class ExchangeId(BarterEnum):
    """Every variant of barter's `ExchangeId`, valued by its serde name (``"binance_spot"``)."""

    OTHER = "other"
    SIMULATED = "simulated"
    MOCK = "mock"
    BINANCE_FUTURES_COIN = "binance_futures_coin"
    BINANCE_FUTURES_USD = "binance_futures_usd"
    BINANCE_OPTIONS = "binance_options"
    BINANCE_PORTFOLIO_MARGIN = "binance_portfolio_margin"
    BINANCE_SPOT = "binance_spot"
    BINANCE_US = "binance_us"
    BITAZZA = "bitazza"
    BITFINEX = "bitfinex"
    BITFLYER = "bitflyer"
    BITGET = "bitget"
    BITMART = "bitmart"
    BITMART_FUTURES_USD = "bitmart_futures_usd"
    BITMEX = "bitmex"
    BITSO = "bitso"
    BITSTAMP = "bitstamp"
    BITVAVO = "bitvavo"
    BITHUMB = "bithumb"
    BYBIT_PERPETUALS_USD = "bybit_perpetuals_usd"
    BYBIT_SPOT = "bybit_spot"
    CEXIO = "cexio"
    COINBASE = "coinbase"
    COINBASE_INTERNATIONAL = "coinbase_international"
    CRYPTOCOM = "cryptocom"
    DERIBIT = "deribit"
    GATEIO_FUTURES_BTC = "gateio_futures_btc"
    GATEIO_FUTURES_USD = "gateio_futures_usd"
    GATEIO_OPTIONS = "gateio_options"
    GATEIO_PERPETUALS_BTC = "gateio_perpetuals_btc"
    GATEIO_PERPETUALS_USD = "gateio_perpetuals_usd"
    GATEIO_SPOT = "gateio_spot"
    GEMINI = "gemini"
    HITBTC = "hitbtc"
    HTX = "htx"
    KRAKEN = "kraken"
    KUCOIN = "kucoin"
    LIQUID = "liquid"
    MEXC = "mexc"
    OKX = "okx"
    POLONIEX = "poloniex"


# The native module returns these; it never imports the package, so they are handed over.
bind_classes(Side=Side, ExchangeId=ExchangeId)
