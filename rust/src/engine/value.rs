//! What an account holds in one quote asset, valued at each instrument's mark: its cash and
//! its holdings (base assets on a cash account; positions' open profit on a margin account).
//! The equity curve and the sizing helpers' `state.equity` value an account this one way.

use super::State;
use crate::exchange::simulated::{margin_equity, Marked};
use barter_instrument::{asset::AssetIndex, instrument::InstrumentIndex, Side};
use rust_decimal::Decimal;

/// `(cash, holdings)` of `quote` over `instruments` (those quoted in it), each valued at
/// `mark` (instruments without one are left out); `None` beyond barter's decimal range.
pub fn checked_account(
    state: &State,
    quote: AssetIndex,
    instruments: &[InstrumentIndex],
    margin: bool,
    mark: impl Fn(InstrumentIndex) -> Option<Decimal>,
) -> Option<(Decimal, Decimal)> {
    let balance = |asset: AssetIndex| {
        state
            .assets
            .asset_index(&asset)
            .balance
            .as_ref()
            .map_or(Decimal::ZERO, |balance| balance.value.total)
    };
    let cash = balance(quote);
    let marked = instruments.iter().filter_map(|instrument| {
        let mark = mark(*instrument)?;
        Some((state.instruments.instrument_index(instrument), mark))
    });
    if margin {
        // The positions' open profit: a margin account's equity less its cash.
        let open = marked.filter_map(|(state, mark)| {
            let position = state.position.current.as_ref()?;
            let quantity = match position.side {
                Side::Buy => position.quantity_abs,
                Side::Sell => -position.quantity_abs,
            };
            Some(Marked::new(quantity, position.price_entry_average, mark))
        });
        return Some((cash, margin_equity(Decimal::ZERO, open)?));
    }
    let mut holdings = Decimal::ZERO;
    let mut counted: Vec<AssetIndex> = Vec::new();
    for (state, mark) in marked {
        // A base asset quoted twice in one quote asset counts once.
        let base = state.instrument.underlying.base;
        if !counted.contains(&base) {
            counted.push(base);
            holdings = holdings.checked_add(balance(base).checked_mul(mark)?)?;
        }
    }
    Some((cash, holdings))
}
