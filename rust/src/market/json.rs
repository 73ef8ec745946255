//! The one parser of barter's market-data JSON, with barter-data's own serde types, one item
//! at a time: a JSON array of `MarketStreamResult` (`{"Item": {"Ok": MarketEvent}}`,
//! `{"Reconnecting": "binance_spot"}`), or NDJSON of `MarketStreamEvent` (`{"Item":
//! MarketEvent}` per line). Items carrying a data error (`{"Item": {"Err": ...}}`) are skipped,
//! as barter's engine never sees them. Every wrong item is reported (a syntax error ends the
//! text); what an item means is the caller's (`visit` returns its problems).

use super::problems::{Failure, Problems};
use super::InstrumentRef;
use barter_data::event::DataKind;
use barter_data::streams::consumer::{MarketStreamEvent, MarketStreamResult};
use barter_data::streams::reconnect;
use serde::de::IgnoredAny;

/// What the caller makes of one event; the problems it finds in it.
pub type Visit<'a> = dyn FnMut(MarketStreamEvent<InstrumentRef, DataKind>) -> Vec<String> + 'a;

/// Every event of `text` (named `path` in messages) to `visit`, in order; wrong items are
/// added to `problems`, a syntax error is the `Failure`.
pub fn parse(
    path: &str,
    text: &[u8],
    problems: &mut Problems,
    visit: &mut Visit<'_>,
) -> Result<(), Failure> {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let start = skip_space(text, 0);
    if text.get(start) == Some(&b'[') {
        array(path, text, start, problems, visit)
    } else {
        ndjson(path, text, problems, visit);
        Ok(())
    }
}

/// One item. barter-data 0.13 writes an order book's sides without their `side` tag
/// (`OrderBookSide.side` is `skip_serializing`) yet reads them only with it: an item refused
/// for that alone is read again with the tag added (a unit, `null`).
fn read<T: serde::de::DeserializeOwned>(item: &[u8]) -> Result<T, serde_json::Error> {
    let err = match serde_json::from_slice(item) {
        Ok(read) => return Ok(read),
        Err(err) if err.to_string().contains("missing field `side`") => err,
        Err(err) => return Err(err),
    };
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(item) else {
        return Err(err);
    };
    tag_book_sides(&mut value);
    serde_json::from_value(value).map_err(|_| err)
}

/// `"side": null` added to every `{"levels": ...}` under a `bids` or `asks` key.
fn tag_book_sides(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if let (true, Value::Object(side)) = (key == "bids" || key == "asks", &mut *inner) {
                    if side.contains_key("levels") {
                        side.entry("side").or_insert(Value::Null);
                    }
                }
                tag_book_sides(inner);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(tag_book_sides),
        _ => {}
    }
}

fn skip_space(text: &[u8], mut at: usize) -> usize {
    while text.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// serde_json's message without its own position (the caller gives the file's).
fn message(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

fn ndjson(path: &str, text: &[u8], problems: &mut Problems, visit: &mut Visit<'_>) {
    for (index, line) in text.split(|b| *b == b'\n').enumerate() {
        let number = index + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match read::<MarketStreamEvent<InstrumentRef, DataKind>>(line) {
            Ok(event) => {
                for problem in visit(event) {
                    problems.add(format_args!("{path}:{number}"), problem);
                }
            }
            Err(err) => problems.add(
                format_args!("{path}:{number}:{}", err.column()),
                format_args!(
                    "not a barter market event ({{\"Item\": MarketEvent}}): {}",
                    message(&err)
                ),
            ),
        }
    }
}

/// Tracks line numbers through the text, counting newlines only once.
struct Lines<'a> {
    text: &'a [u8],
    counted: usize,
    line: usize,
    line_start: usize,
}

impl Lines<'_> {
    /// Line and column (from 1) of byte `at`, which never goes backwards.
    fn at(&mut self, at: usize) -> (usize, usize) {
        for (offset, byte) in self.text[self.counted..at].iter().enumerate() {
            if *byte == b'\n' {
                self.line += 1;
                self.line_start = self.counted + offset + 1;
            }
        }
        self.counted = at;
        (self.line, at - self.line_start + 1)
    }
}

fn array(
    path: &str,
    text: &[u8],
    open: usize,
    problems: &mut Problems,
    visit: &mut Visit<'_>,
) -> Result<(), Failure> {
    let mut lines = Lines {
        text,
        counted: 0,
        line: 1,
        line_start: 0,
    };
    let invalid = |(line, column): (usize, usize), what: String| {
        Failure::Data(format!("{path}:{line}:{column}: invalid JSON: {what}"))
    };
    let mut at = skip_space(text, open + 1);
    if text.get(at) == Some(&b']') {
        return end(path, text, at + 1, &mut lines);
    }
    let mut number = 0;
    loop {
        number += 1;
        let (line, column) = lines.at(at);
        // The item's extent first (a syntax error ends the file), then its meaning (a wrong
        // item is reported, and reading goes on).
        let mut items = serde_json::Deserializer::from_slice(&text[at..]).into_iter::<IgnoredAny>();
        match items.next() {
            Some(Ok(_)) => {}
            Some(Err(err)) => {
                let column = if err.line() == 1 {
                    column + err.column() - 1
                } else {
                    err.column()
                };
                return Err(invalid((line + err.line() - 1, column), message(&err)));
            }
            None => return Err(invalid(lines.at(text.len()), "unterminated array".into())),
        }
        let item = &text[at..at + items.byte_offset()];
        let location = format!("{path}:{line}: item {number}");
        match read::<MarketStreamResult<InstrumentRef, DataKind>>(item) {
            Ok(reconnect::Event::Item(Err(_))) => {}
            Ok(reconnect::Event::Item(Ok(event))) => {
                for problem in visit(reconnect::Event::Item(event)) {
                    problems.add(&location, problem);
                }
            }
            Ok(reconnect::Event::Reconnecting(exchange)) => {
                for problem in visit(reconnect::Event::Reconnecting(exchange)) {
                    problems.add(&location, problem);
                }
            }
            Err(err) => problems.add(
                &location,
                format_args!(
                    "not a barter MarketStreamResult ({{\"Item\": {{\"Ok\": MarketEvent}}}} or \
                     {{\"Reconnecting\": exchange}}): {}",
                    message(&err)
                ),
            ),
        }
        at = skip_space(text, at + item.len());
        match text.get(at) {
            Some(b',') => at = skip_space(text, at + 1),
            Some(b']') => return end(path, text, at + 1, &mut lines),
            Some(_) => {
                return Err(invalid(
                    lines.at(at),
                    "expected ',' or ']' after an item".into(),
                ))
            }
            None => return Err(invalid(lines.at(at), "unterminated array".into())),
        }
    }
}

fn end(path: &str, text: &[u8], at: usize, lines: &mut Lines<'_>) -> Result<(), Failure> {
    let at = skip_space(text, at);
    if at < text.len() {
        let (line, column) = lines.at(at);
        return Err(Failure::Data(format!(
            "{path}:{line}:{column}: invalid JSON: trailing characters after the array"
        )));
    }
    Ok(())
}
