//! What an account holds in one quote asset, valued at each instrument's mark: its cash and
//! its holdings (base assets on a cash account; positions' open profit on a margin account).
//! The equity curve and the sizing helpers' `state.equity` value an account this one way.

use super::State;
use barter_instrument::{asset::AssetIndex, instrument::InstrumentIndex, Side};
use rust_decimal::Decimal;

/// `(cash, holdings)` of `quote` over `instruments` (those quoted in it), each valued at
/// `mark` (instruments without one are left out).
pub fn account(
    state: &State,
    quote: AssetIndex,
    instruments: &[InstrumentIndex],
    margin: bool,
    mark: impl Fn(InstrumentIndex) -> Option<Decimal>,
) -> (Decimal, Decimal) {
    let balance = |asset: AssetIndex| {
        state
            .assets
            .asset_index(&asset)
            .balance
            .as_ref()
            .map_or(Decimal::ZERO, |balance| balance.value.total)
    };
    let cash = balance(quote);
    let mut holdings = Decimal::ZERO;
    let mut counted: Vec<AssetIndex> = Vec::new();
    for instrument in instruments {
        let state = state.instruments.instrument_index(instrument);
        let Some(mark) = mark(*instrument) else {
            continue;
        };
        if margin {
            if let Some(position) = &state.position.current {
                let sign = match position.side {
                    Side::Buy => Decimal::ONE,
                    Side::Sell => -Decimal::ONE,
                };
                holdings += (mark - position.price_entry_average) * position.quantity_abs * sign;
            }
        } else {
            // A base asset quoted twice in one quote asset counts once.
            let base = state.instrument.underlying.base;
            if !counted.contains(&base) {
                counted.push(base);
                holdings += balance(base) * mark;
            }
        }
    }
    (cash, holdings)
}
