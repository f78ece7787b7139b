//! A short, deterministic version of the fuzz targets for the normal test run: the seed
//! corpus and a few thousand byte-level mutations of it through the same checks.
//! `make fuzz` runs the real coverage-guided fuzzers for minutes each.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::fs;

fn seeds() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/seed");
    let mut seeds: Vec<Vec<u8>> = fs::read_dir(dir)
        .expect("seed corpus")
        .map(|entry| fs::read(entry.expect("entry").path()).expect("seed"))
        .collect();
    seeds.sort();
    seeds
}

/// xorshift64: a fixed, dependency-free stream of mutation choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Replace the string literal starting at or after `from` with `value` (a wrong-typed value).
fn swap_string(data: &mut Vec<u8>, from: usize, value: &[u8]) {
    let Some(open) = data[from.min(data.len())..].iter().position(|&b| b == b'"') else {
        return;
    };
    let open = from + open;
    let Some(len) = data[open + 1..].iter().position(|&b| b == b'"') else {
        return;
    };
    data.splice(open..open + len + 2, value.iter().copied());
}

fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    const VALUES: [&[u8]; 6] = [
        b"1",
        b"[1",
        b"{}",
        b"\"both\"",
        b"99999999999999999999999",
        b"null",
    ];
    let mut data = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(5) {
            0 if at < data.len() => data[at] = rng.next() as u8,
            1 if at < data.len() => {
                data.remove(at);
            }
            2 => data.insert(at, b"\"{}[]:,0a=\\/"[rng.below(12)]),
            3 => swap_string(&mut data, at, VALUES[rng.below(VALUES.len())]),
            _ => data.truncate(at),
        }
    }
    data
}

#[test]
fn seeds_and_mutations_never_panic() {
    let seeds = seeds();
    assert!(seeds.len() >= 10);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for seed in &seeds {
        checks::wire_parse(seed);
        checks::payload_decode(seed);
        checks::inbound_decode(seed);
        for _ in 0..500 {
            let data = mutate(seed, &mut rng);
            checks::wire_parse(&data);
            checks::payload_decode(&data);
            checks::inbound_decode(&data);
        }
    }
}

/// The classes of hostile input found by hand or by the fuzzers, each kept as a case:
/// wrong-typed values inside arrays followed by invalid JSON (in known and unknown events),
/// track names other than the two, numbers too large for any integer type or for f64 (and
/// what follows them), deep nesting, lone surrogate escapes.
#[test]
fn hostile_cases_are_checked_like_any_input() {
    let deep = format!(
        "{{\"event\":\"x\",\"a\":{}{}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let long_number = format!("{{\"event\":\"x\",\"n\":{}}}", "7".repeat(5000));
    let cases: Vec<&str> = vec![
        r#"{"event":"x","start":{"tracks":[1}}"#,
        r#"{"event":"start","start":{"tracks":[1}}"#,
        r#"{"event":"x","start":{"tracks":[1,]}}"#,
        r#"{"event":"media","media":{"track":"both","payload":"AAAA"}}"#,
        r#"{"event":"media","media":{"track":"inbound\u0000","payload":"AAAA"}}"#,
        r#"{"event":"media","sequenceNumber":99999999999999999999999,"media":{"payload":"AAAA"}}"#,
        r#"{"event":"x","s":"\ud800"}"#,
        // Found by the wire_parse fuzzer: a number beyond f64's range, then text that is not
        // JSON (serde_json stops at the number; the check must still see the rest).
        r#"{"even-": 333333333333333333e33333ber"#,
        r#"{"event":"x","n":1e400.5}"#,
        r#"{"event":"x","n":[1e400,-2E+999,0.5e-99999]}"#,
        &deep,
        &long_number,
    ];
    for case in cases {
        checks::wire_parse(case.as_bytes());
        checks::inbound_decode(case.as_bytes());
    }
}

/// The resampler's chunking check for every pair of distinct rates (the two qualities in
/// turn: designing every filter unoptimised takes a while), with cuts and samples from the
/// same fixed stream of choices. Equal rates pass samples through.
#[test]
fn resampler_chunking_gives_the_same_samples() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for a in 0..8u8 {
        for b in 0..8u8 {
            let cuts = 1 + rng.below(15);
            let mut data = vec![a, b, (a + b) % 2, cuts as u8];
            for _ in 0..cuts {
                data.extend_from_slice(&(rng.below(700) as u16).to_le_bytes());
            }
            for _ in 0..2 * (100 + rng.below(2000)) {
                data.push(rng.next() as u8);
            }
            checks::resample_chunks(&data);
        }
    }
}
