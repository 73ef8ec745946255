//! Tardis.dev's L2 files (spec §12): `incremental_book_L2` (a row per level; the rows of one
//! message share `timestamp`, `local_timestamp` and `is_snapshot`; a day starts with a
//! snapshot, and a snapshot after updates replaces the book) and `book_snapshot_N` (a row per
//! snapshot of the N best levels a side, `asks[i]` and `bids[i]` interleaved per level; the
//! empty cells of a side with fewer levels come last).

use super::book::{BookLevel, BookSide};
use super::vendor::Row;

/// The header of `book_snapshot_N` after the four leading columns, `N` from its length.
pub fn snapshot_depth(names: &[&str]) -> Option<usize> {
    let levels = names.len() / 4;
    let expected = (0..levels).flat_map(|at| {
        ["asks", "bids"].into_iter().flat_map(move |side| {
            ["price", "amount"].map(move |field| format!("{side}[{at}].{field}"))
        })
    });
    (levels > 0 && names.len() % 4 == 0 && expected.eq(names.iter().map(|n| n.to_string())))
        .then_some(levels)
}

/// The name of column `at` of `book_snapshot_N` (after the four leading ones).
pub fn snapshot_column(at: usize) -> String {
    let side = if at % 4 < 2 { "asks" } else { "bids" };
    let field = if at % 2 == 0 { "price" } else { "amount" };
    format!("{side}[{}].{field}", at / 4)
}

/// An L2 message being read: consecutive rows of one instrument with the same times and flag.
pub struct Message {
    instrument: u32,
    time_exchange: i64,
    time_received: i64,
    snapshot: bool,
    bids: Vec<BookLevel>,
    asks: Vec<BookLevel>,
    line: u64,
}

impl Message {
    pub fn new(
        (instrument, time_exchange, time_received): (u32, i64, i64),
        snapshot: bool,
        line: u64,
    ) -> Self {
        Message {
            instrument,
            time_exchange,
            time_received,
            snapshot,
            bids: Vec::new(),
            asks: Vec::new(),
            line,
        }
    }

    /// Whether a row of these keys and flag continues this message.
    pub fn continued_by(
        &self,
        (instrument, exchange, received): (u32, i64, i64),
        snapshot: bool,
    ) -> bool {
        (
            self.instrument,
            self.time_exchange,
            self.time_received,
            self.snapshot,
        ) == (instrument, exchange, received, snapshot)
    }

    pub fn add(&mut self, side: BookSide, level: BookLevel) {
        match side {
            BookSide::Bid => self.bids.push(level),
            BookSide::Ask => self.asks.push(level),
        }
    }

    /// The message read whole, as `vendor::read` adds it; a crossed or locked snapshot of a
    /// `book_snapshot_N` file is skipped and counted (spec §11), as a Tardis quote is.
    pub fn row(self, skip_crossed: bool) -> Row {
        let crossed = |bids: &[BookLevel], asks: &[BookLevel]| {
            let best_bid = bids.iter().map(|level| level.price).reduce(f64::max);
            let best_ask = asks.iter().map(|level| level.price).reduce(f64::min);
            best_bid.zip(best_ask).is_some_and(|(bid, ask)| bid >= ask)
        };
        if skip_crossed && crossed(&self.bids, &self.asks) {
            return Row::Skipped;
        }
        Row::Book {
            time_exchange: self.time_exchange,
            time_received: self.time_received,
            instrument: self.instrument,
            snapshot: self.snapshot,
            bids: self.bids,
            asks: self.asks,
            line: self.line,
        }
    }
}

/// An `incremental_book_L2` row's `is_snapshot`.
pub fn flag(text: &str) -> Result<bool, String> {
    match text {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!("is_snapshot: must be true or false, got {other:?}")),
    }
}

/// An `incremental_book_L2` row's side, price and amount: `column: problem` each.
pub fn level(side: &str, price: &str, amount: &str) -> Result<(BookSide, BookLevel), Vec<String>> {
    let side = BookSide::parse(side).map_err(|why| format!("side: {why}"));
    let level = numbers(price, amount, "price", "amount");
    match (side, level) {
        (Ok(side), Ok(level)) => Ok((side, level)),
        (side, level) => Err(side
            .err()
            .into_iter()
            .chain(level.err().into_iter().flatten())
            .collect()),
    }
}

/// A level's price and amount cells, named `price_name` and `amount_name` in a problem.
fn numbers(
    price: &str,
    amount: &str,
    price_name: &str,
    amount_name: &str,
) -> Result<BookLevel, Vec<String>> {
    let number = |text: &str, role, name: &str| {
        crate::market::float_of_text(text, role)
            .map_err(|why| format!("{name}: {why}, got {text:?}"))
    };
    let price = number(price, crate::market::Role::Price, price_name);
    let amount = number(amount, crate::market::Role::Amount, amount_name);
    match (price, amount) {
        (Ok(price), Ok(amount)) => Ok(BookLevel { price, amount }),
        (price, amount) => Err([price.err(), amount.err()].into_iter().flatten().collect()),
    }
}

/// The levels of a `book_snapshot_N` row's cells after the four leading ones, into `message`:
/// a level with both cells empty is absent (a side with fewer than N levels).
pub fn snapshot_levels(cells: &[&str], message: &mut Message) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    for (at, pair) in cells.chunks(2).enumerate() {
        let (price, amount) = (pair[0], pair[1]);
        if price.is_empty() && amount.is_empty() {
            continue;
        }
        let side = if at % 2 == 0 {
            BookSide::Ask
        } else {
            BookSide::Bid
        };
        let names = (snapshot_column(2 * at), snapshot_column(2 * at + 1));
        match numbers(price, amount, &names.0, &names.1) {
            Ok(level) => message.add(side, level),
            Err(found) => problems.extend(found),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_headers_name_their_depth() {
        let names = [
            "asks[0].price",
            "asks[0].amount",
            "bids[0].price",
            "bids[0].amount",
            "asks[1].price",
            "asks[1].amount",
            "bids[1].price",
            "bids[1].amount",
        ];
        assert_eq!(snapshot_depth(&names), Some(2));
        assert_eq!(snapshot_depth(&names[..4]), Some(1));
        assert_eq!(snapshot_depth(&names[..3]), None);
        assert_eq!(snapshot_depth(&[]), None);
        let swapped = [
            "bids[0].price",
            "bids[0].amount",
            "asks[0].price",
            "asks[0].amount",
        ];
        assert_eq!(snapshot_depth(&swapped), None);
        assert_eq!(snapshot_column(6), "bids[1].price");
    }
}
