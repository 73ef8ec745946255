//! Latency models and the response queue, every number worked out by hand.

use super::recorded::parse;
use super::*;

const MS: i64 = 1_000_000;

#[test]
fn constant_latency_is_the_same_at_every_time() {
    let latency = Latency::constant(5, 50);
    assert_eq!(latency.entry(0), Entry::Arrives(5 * MS));
    assert_eq!(latency.response(123), 50 * MS);
    assert_eq!(latency.describe(), "latency 5 ms");
}

/// Rows in microseconds: request, exchange, response.
const ROWS: &str = "request_time,exchange_time,response_time\n\
                    1000,1010,1030\n\
                    2000,2030,2040\n\
                    3000,,3100\n\
                    4000,4005,4015\n";

#[test]
fn entry_latency_is_interpolated_on_request_time() {
    let recorded = parse(ROWS).unwrap();
    // Before the first row: its 1010 - 1000 = 10 us; at it, the same.
    assert_eq!(recorded.entry(0), Entry::Arrives(10_000));
    assert_eq!(recorded.entry(1_000_000), Entry::Arrives(10_000));
    // Halfway from 1000 (10 us) to 2000 (30 us): 10 + (30 - 10) x 500 / 1000 = 20 us.
    assert_eq!(recorded.entry(1_500_000), Entry::Arrives(20_000));
    // A quarter of the way plus 1 ns: 10,000 + 20,000 x 250,001 / 1,000,000 = 15,000.02,
    // rounded toward zero: 15,000 ns.
    assert_eq!(recorded.entry(1_250_001), Entry::Arrives(15_000));
    // After the last row (4000, 5 us): its value.
    assert_eq!(recorded.entry(9_000_000), Entry::Arrives(5_000));
}

#[test]
fn a_request_next_to_a_recorded_rejection_is_rejected() {
    let recorded = parse(ROWS).unwrap();
    // Between 2000 and 3000 (a rejection): rejected, told after the round trip interpolated:
    // 2040 - 2000 = 40 us and 3100 - 3000 = 100 us; halfway: 70 us.
    assert_eq!(recorded.entry(2_500_000), Entry::Rejected(70_000));
    // Between 3000 (rejection, 100 us) and 4000 (15 us): at 3200, 100 - 85 x 0.2 = 83 us.
    assert_eq!(recorded.entry(3_200_000), Entry::Rejected(83_000));
}

#[test]
fn response_latency_is_interpolated_on_exchange_time_over_accepted_rows() {
    let recorded = parse(ROWS).unwrap();
    // Accepted rows by exchange time: 1010 (20 us), 2030 (10 us), 4005 (10 us).
    assert_eq!(recorded.response(0), 20_000);
    // From 1010 to 2030, 20 -> 10 us: at 1520, 20,000 - 10,000 x 510 / 1020 = 15,000 ns.
    assert_eq!(recorded.response(1_520_000), 15_000);
    assert_eq!(recorded.response(3_000_000), 10_000);
    assert_eq!(recorded.response(5_000_000), 10_000);
}

#[test]
fn rfc3339_and_microseconds_both_read() {
    let text = "response_time,request_time,exchange_time\n\
                2024-01-01T00:00:00.000030Z,2024-01-01T00:00:00Z,1704067200000010\n";
    let recorded = parse(text).unwrap();
    assert_eq!(recorded.entry(0), Entry::Arrives(10_000));
    assert_eq!(recorded.response(0), 20_000);
}

#[test]
fn bad_files_name_the_line_and_the_field() {
    let cases = [
        (
            "request_time,exchange_time\n1,2\n",
            "line 1: the header has no response_time column",
        ),
        (
            "request_time,exchange_time,response_time,x\n",
            "line 1: the header must name",
        ),
        ("request_time,exchange_time,response_time\n", "no rows"),
        (
            "request_time,exchange_time,response_time\n1,2,3\nsoon,2,3\n",
            "line 3: request_time: not an RFC 3339 time",
        ),
        (
            "request_time,exchange_time,response_time\n,2,3\n",
            "line 2: request_time: empty",
        ),
        (
            "request_time,exchange_time,response_time\n5,6,7\n4,6,7\n",
            "line 3: request_time: goes back from",
        ),
        (
            "request_time,exchange_time,response_time\n5,4,7\n",
            "line 2: exchange_time: before request_time",
        ),
        (
            "request_time,exchange_time,response_time\n5,6,5\n",
            "line 2: response_time: before exchange_time",
        ),
        (
            "request_time,exchange_time,response_time\n5,,4\n",
            "line 2: response_time: before request_time",
        ),
    ];
    for (text, expected) in cases {
        let err = parse(text).unwrap_err();
        assert!(
            err.starts_with("latency.csv: ") && err.contains(expected),
            "{err}"
        );
    }
}

#[test]
fn answers_arrive_in_order_never_overtaking() {
    let mut responses = Responses::default();
    responses.push(100, ["a"]);
    // Due at 50, but behind the answer due at 100.
    responses.push(50, ["b"]);
    responses.push(150, ["c"]);
    let mut out = Vec::new();
    responses.due(DateTime::from_timestamp_nanos(99), &mut out);
    assert!(out.is_empty());
    responses.due(DateTime::from_timestamp_nanos(100), &mut out);
    assert_eq!(out, ["a", "b"]);
    responses.all(&mut out);
    assert_eq!(out, ["a", "b", "c"]);
    assert!(responses.is_empty());
}
