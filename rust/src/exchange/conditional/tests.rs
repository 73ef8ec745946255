//! The book of untriggered orders: what one price triggers, in which order, and how trailing
//! stops move.

use super::*;
use barter_execution::order::id::{ClientOrderId, StrategyId};

fn d(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

/// A conditional order of 1 on instrument 0 (strategy `test`), watching trades.
pub(crate) fn spec(cid: &str, side: Side, kind: Kind, trigger: Option<&str>) -> Indexed {
    Conditional {
        key: OrderKey {
            exchange: ExchangeIndex(0),
            instrument: InstrumentIndex(0),
            strategy: StrategyId::new("test"),
            cid: ClientOrderId::new(cid),
        },
        side,
        quantity: Decimal::ONE,
        kind,
        trigger: trigger.map(d),
        offset: None,
        limit: None,
        trigger_on: TriggerOn::Trade,
        strict: false,
        reduce_only: false,
    }
}

#[test]
fn a_price_triggers_every_order_it_reaches_nearest_first_and_no_other() {
    let mut book = Book::new(1);
    // Sell stops at 95, 90 and 97 (fall to them); a Sell take-profit at 110 (rise to it).
    for (order, trigger) in ["95", "90", "97"].into_iter().enumerate() {
        book.hold(
            order,
            spec(trigger, Side::Sell, Kind::Stop, Some(trigger)),
            None,
        );
    }
    book.hold(
        3,
        spec("tp", Side::Sell, Kind::TakeProfit, Some("110")),
        None,
    );
    let on = |book: &mut Book, price| {
        book.on_price(InstrumentIndex(0), TriggerOn::Trade, Side::Sell, d(price))
    };
    assert!(on(&mut book, "98").is_empty());
    // 94 reaches 97 and 95 (97 first: the nearest), not 90; the Buy side is another lane.
    assert_eq!(on(&mut book, "94"), [2, 0]);
    assert!(book
        .on_price(InstrumentIndex(0), TriggerOn::Trade, Side::Buy, d("1"))
        .is_empty());
    assert_eq!(on(&mut book, "110"), [3]);
    // What a price triggered is off the index until the caller takes it off the book.
    assert!(on(&mut book, "94").is_empty());
    assert_eq!(on(&mut book, "90"), [1]);
}

#[test]
fn a_trailing_stop_moves_its_trigger_only_forward() {
    let mut book = Book::new(1);
    let mut trail = spec("t", Side::Sell, Kind::TrailingStop, None);
    trail.offset = Some(Offset::Price(d("2")));
    // No price yet: no trigger until the first one (100: 98).
    let id = book.hold(0, trail, None);
    assert_eq!(book.get(id).unwrap().trigger, None);
    let mut on = |price| book.on_price(InstrumentIndex(0), TriggerOn::Trade, Side::Sell, d(price));
    assert!(on("100").is_empty());
    assert!(on("103").is_empty()); // 101
    assert!(on("102").is_empty()); // stays 101
    assert_eq!(on("101"), [id]);
}

#[test]
fn an_f64_price_is_near_a_lane_only_close_to_its_nearest_triggers() {
    let mut book = Book::new(1);
    let near =
        |book: &mut Book, side, price| book.near(InstrumentIndex(0), TriggerOn::Trade, side, price);
    // Nothing held: nothing is near.
    assert!(!near(&mut book, Side::Sell, 100.0));
    book.hold(0, spec("s", Side::Sell, Kind::Stop, Some("95.1")), None);
    book.hold(
        1,
        spec("tp", Side::Sell, Kind::TakeProfit, Some("110")),
        None,
    );
    assert!(!near(&mut book, Side::Sell, 100.0));
    // At a trigger (its f64 as a trade carries it) and beyond it: near, both ways.
    assert!(near(&mut book, Side::Sell, 95.1));
    assert!(near(&mut book, Side::Sell, 90.0));
    assert!(near(&mut book, Side::Sell, 110.0));
    // The other side's lane holds nothing.
    assert!(!near(&mut book, Side::Buy, 95.1));
    // Triggered and gone: the nearest is read again.
    assert_eq!(
        book.on_price(InstrumentIndex(0), TriggerOn::Trade, Side::Sell, d("95.1")),
        [0]
    );
    assert!(!near(&mut book, Side::Sell, 95.1));
}
