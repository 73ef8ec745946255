//! The pickled form of `MarketData`: a small little-endian binary layout (37 bytes a trade,
//! 53 an L1 book, 65 a candle), read back with every check a loader makes, so that no byte
//! string can build data a loader would refuse.
//!
//! ```text
//! "BPMD" version:u8
//! instruments:u32 { exchange_len:u8 exchange name_len:u32 name }
//! events:u64 { tag:u8 time_exchange:i64 time_received:i64 body }
//! skipped:u64 (version 2; version 1 has none: 0)
//!   tag 0 trade Buy, 1 trade Sell: instrument:u32 price:f64 amount:f64
//!   tag 2 l1: instrument:u32 bid_price bid_amount ask_price ask_amount: f64 (NaN: empty side)
//!   tag 3 reconnecting: exchange_len:u8 exchange
//!   tag 4 candle (version 3): instrument:u32 open high low close volume: f64 trades:u32
//!   tag 7 trade without an aggressor side (version 4): as tags 0 and 1
//!   tag 5 l2 update, 6 l2 snapshot (version 4): instrument:u32 sequence:u64 bids:u32 asks:u32
//!     { price:f64 amount:f64 } for each bid, then each ask
//! ```

use super::{book, candle, l1, Builder, Event, Kind, Level, MarketData};
use crate::bind::enums;
use crate::market::{self, Role};
use barter_instrument::{exchange::ExchangeId, instrument::name::InstrumentNameInternal, Side};

const MAGIC: &[u8; 4] = b"BPMD";
const VERSION: u8 = 4;

pub fn encode(data: &MarketData) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + data.events().len() * 53);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.extend_from_slice(&(data.instruments().len() as u32).to_le_bytes());
    for (exchange, name) in data.instruments() {
        exchange_name(&mut out, *exchange);
        out.extend_from_slice(&(name.name().len() as u32).to_le_bytes());
        out.extend_from_slice(name.name().as_bytes());
    }
    out.extend_from_slice(&(data.events().len() as u64).to_le_bytes());
    for event in data.events() {
        let tag = match event.kind {
            Kind::Trade {
                side: Some(Side::Buy),
                ..
            } => 0,
            Kind::Trade {
                side: Some(Side::Sell),
                ..
            } => 1,
            Kind::Trade { side: None, .. } => 7,
            Kind::L1 { .. } => 2,
            Kind::Reconnecting => 3,
            Kind::Candle { .. } => 4,
            Kind::L2 { snapshot, .. } => 5 + u8::from(snapshot),
        };
        out.push(tag);
        out.extend_from_slice(&event.time_exchange.to_le_bytes());
        out.extend_from_slice(&event.time_received.to_le_bytes());
        let numbers = match event.kind {
            Kind::Trade { price, amount, .. } => vec![price, amount],
            Kind::L1 { bid, ask } => vec![bid.price, bid.amount, ask.price, ask.amount],
            Kind::Candle {
                open,
                high,
                low,
                close,
                volume,
                trades,
            } => {
                out.extend_from_slice(&event.instrument.to_le_bytes());
                for number in [open, high, low, close, volume] {
                    out.extend_from_slice(&number.to_le_bytes());
                }
                out.extend_from_slice(&trades.to_le_bytes());
                continue;
            }
            Kind::Reconnecting => {
                exchange_name(&mut out, event.exchange);
                continue;
            }
            Kind::L2 {
                sequence, levels, ..
            } => {
                out.extend_from_slice(&event.instrument.to_le_bytes());
                out.extend_from_slice(&sequence.to_le_bytes());
                out.extend_from_slice(&levels.bids.to_le_bytes());
                out.extend_from_slice(&levels.asks.to_le_bytes());
                let (bids, asks) = levels.sides(data.levels());
                for level in bids.iter().chain(asks) {
                    out.extend_from_slice(&level.price.to_le_bytes());
                    out.extend_from_slice(&level.amount.to_le_bytes());
                }
                continue;
            }
        };
        out.extend_from_slice(&event.instrument.to_le_bytes());
        for number in numbers {
            out.extend_from_slice(&number.to_le_bytes());
        }
    }
    out.extend_from_slice(&data.skipped.to_le_bytes());
    out
}

fn exchange_name(out: &mut Vec<u8>, exchange: ExchangeId) {
    let name = exchange.as_str().as_bytes();
    out.push(name.len() as u8);
    out.extend_from_slice(name);
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(count)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| format!("truncated at byte {}", self.at))?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, String> {
        self.array().map(u32::from_le_bytes)
    }

    fn i64(&mut self) -> Result<i64, String> {
        self.array().map(i64::from_le_bytes)
    }

    fn f64(&mut self) -> Result<f64, String> {
        self.array().map(f64::from_le_bytes)
    }

    fn text(&mut self, length: usize) -> Result<&'a str, String> {
        let at = self.at;
        std::str::from_utf8(self.take(length)?)
            .map_err(|_| format!("text at byte {at} is not UTF-8"))
    }

    fn exchange(&mut self) -> Result<ExchangeId, String> {
        let length = self.u8()? as usize;
        let name = self.text(length)?;
        enums::parse_serde::<ExchangeId>(name).ok_or_else(|| format!("unknown exchange {name:?}"))
    }

    fn number(&mut self, role: Role) -> Result<f64, String> {
        market::checked(self.f64()?, role)
    }

    fn u64(&mut self) -> Result<u64, String> {
        self.array().map(u64::from_le_bytes)
    }

    /// `count` L2 levels, each checked as a loader checks it.
    fn book_levels(&mut self, count: u32) -> Result<Vec<book::BookLevel>, String> {
        // A count beyond the bytes left is a truncation, not an allocation.
        let mut levels = Vec::with_capacity((count as usize).min(self.bytes.len() / 16));
        for _ in 0..count {
            let (price, amount) = (self.f64()?, self.f64()?);
            levels.push(book::level(price, amount).map_err(|problems| problems.join("; "))?);
        }
        Ok(levels)
    }

    fn level(&mut self) -> Result<Level, String> {
        let (price, amount) = (self.f64()?, self.f64()?);
        if price.is_nan() && amount.is_nan() {
            return Ok(Level::EMPTY);
        }
        Ok(Level {
            price: market::checked(price, Role::Price)?,
            amount: market::checked(amount, Role::Amount)?,
        })
    }
}

pub fn decode(bytes: &[u8]) -> Result<MarketData, String> {
    read(bytes).map_err(|problem| format!("not a pickled MarketData: {problem}"))
}

fn read(bytes: &[u8]) -> Result<MarketData, String> {
    let mut reader = Reader { bytes, at: 0 };
    if reader.take(4)? != MAGIC {
        return Err(format!("expected {MAGIC:?}"));
    }
    let version = reader.u8()?;
    if !(1..=VERSION).contains(&version) {
        return Err(format!("version {version}, expected 1 to {VERSION}"));
    }
    let mut builder = Builder::default();
    let count = reader.u32()? as usize;
    let mut keys = Vec::with_capacity(count.min(bytes.len()));
    for _ in 0..count {
        let exchange = reader.exchange()?;
        let length = reader.u32()? as usize;
        let name = reader.text(length)?;
        keys.push(builder.key((exchange, InstrumentNameInternal::new(name))));
    }
    let count = u64::from_le_bytes(reader.array()?);
    for _ in 0..count {
        let tag = reader.u8()?;
        let (time_exchange, time_received) = (reader.i64()?, reader.i64()?);
        let (exchange, instrument, kind) = if tag == 3 {
            (reader.exchange()?, u32::MAX, Kind::Reconnecting)
        } else {
            let index = reader.u32()? as usize;
            let key = *keys
                .get(index)
                .ok_or_else(|| format!("instrument {index} of {}", keys.len()))?;
            let kind = match tag {
                0 | 1 | 7 if tag < 7 || version >= 4 => Kind::Trade {
                    price: reader.number(Role::TradePrice)?,
                    amount: reader.number(Role::Amount)?,
                    side: match tag {
                        0 => Some(Side::Buy),
                        1 => Some(Side::Sell),
                        _ => None,
                    },
                },
                2 => {
                    let bid = reader.level()?;
                    l1(bid, reader.level()?)?
                }
                4 if version >= 3 => {
                    let mut prices = [0.0; 4];
                    for price in &mut prices {
                        *price = reader.number(Role::Price)?;
                    }
                    let volume = reader.number(Role::Amount)?;
                    candle(prices, volume, reader.u32()?.into())
                        .map_err(|problems| problems.join("; "))?
                }
                5 | 6 if version >= 4 => {
                    let (sequence, bids, asks) = (reader.u64()?, reader.u32()?, reader.u32()?);
                    let (bids, asks) = (reader.book_levels(bids)?, reader.book_levels(asks)?);
                    let snapshot = tag == 6;
                    book::no_empty_level(snapshot, &bids, &asks)?;
                    Kind::L2 {
                        snapshot,
                        sequence,
                        levels: builder.arena(&bids, &asks)?,
                    }
                }
                other => return Err(format!("unknown event tag {other}")),
            };
            (builder.instrument(key).0, key, kind)
        };
        builder.push(Event {
            time_exchange,
            time_received,
            exchange,
            instrument,
            kind,
        });
    }
    let skipped = if version >= 2 {
        u64::from_le_bytes(reader.array()?)
    } else {
        0
    };
    if reader.at != bytes.len() {
        return Err(format!(
            "{} bytes after the events",
            bytes.len() - reader.at
        ));
    }
    Ok(MarketData {
        skipped,
        ..builder.finish()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l2_books_and_sideless_trades_round_trip_from_version_4() {
        let level = |price, amount| book::BookLevel { price, amount };
        let mut builder = Builder::default();
        let key = builder.key((ExchangeId::Okx, InstrumentNameInternal::new("a")));
        let (bids, asks) = ([level(99.5, 1.0), level(99.0, 2.0)], [level(100.5, 0.25)]);
        builder.l2(1, 2, key, true, 7, &bids, &asks).unwrap();
        builder
            .l2(3, 4, key, false, 8, &[level(99.0, 0.0)], &[])
            .unwrap();
        let sideless = Kind::Trade {
            price: 100.0,
            amount: 0.5,
            side: None,
        };
        builder.data(5, 5, key, sideless);
        let data = builder.finish();
        let bytes = encode(&data);
        // 3 levels, then 1: 16 bytes each beside the events' own.
        assert_eq!(decode(&bytes), Ok(data));
        let mut older = bytes.clone();
        older[4] = 3;
        assert!(decode(&older).is_err(), "version 3 had no l2 books");
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err());
        }
    }

    #[test]
    fn refuses_bad_bytes_without_panicking() {
        assert!(decode(b"").is_err());
        assert!(decode(b"BPMD\x03").is_err());
        let mut builder = Builder::default();
        let key = builder.key((ExchangeId::Okx, InstrumentNameInternal::new("a")));
        builder.data(
            1,
            2,
            key,
            Kind::Trade {
                price: 1.5,
                amount: 2.0,
                side: Some(Side::Sell),
            },
        );
        builder.reconnecting(ExchangeId::Okx);
        let data = MarketData {
            skipped: 7,
            ..builder.finish()
        };
        let bytes = encode(&data);
        assert_eq!(decode(&bytes), Ok(data));
        // A version-1 pickle (no skipped count) still loads, with none skipped.
        let mut first = bytes[..bytes.len() - 8].to_vec();
        first[4] = 1;
        assert_eq!(decode(&first).map(|old| old.skipped), Ok(0));
        // Candles came with version 3.
        let mut builder = Builder::default();
        let key = builder.key((ExchangeId::Okx, InstrumentNameInternal::new("a")));
        let bar = candle([100.5, 101.0, 99.25, 100.0], 3.5, 12).unwrap();
        builder.data(3, 3, key, bar);
        let candles = encode(&builder.finish());
        assert_eq!(decode(&candles).map(|back| back.events[0].kind), Ok(bar));
        let mut second = candles.clone();
        second[4] = 2;
        assert!(decode(&second).is_err());
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err());
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer).is_err());
        for at in 5..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0xFF;
            let _ = decode(&flipped); // no panic, whatever the byte
        }
    }
}
