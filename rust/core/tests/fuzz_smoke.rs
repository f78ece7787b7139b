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

fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(4) {
            0 if at < data.len() => data[at] = rng.next() as u8,
            1 if at < data.len() => {
                data.remove(at);
            }
            2 => data.insert(at, b"\"{}[]:,0a=\\/"[rng.below(12)]),
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
        for _ in 0..500 {
            let data = mutate(seed, &mut rng);
            checks::wire_parse(&data);
            checks::payload_decode(&data);
        }
    }
}
