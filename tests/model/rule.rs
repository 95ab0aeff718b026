//! The rule the fake VRM answers stats with: a year of 15-minute samples
//! per site, code and instance, derived lazily from a hash of the case's
//! seed, then bucketed, summed or averaged and totalled the way VRM does.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex, PoisonError};

/// 2025-01-01T00:00:00Z: the first slot that may hold data.
pub const DATA_START: i64 = 1_735_689_600;
/// Days of data from [`DATA_START`]; every slot after is absent.
pub const DATA_DAYS: i64 = 366;
/// One sample every 15 minutes.
pub const SLOT: i64 = 900;
pub const HOUR: i64 = 3600;
pub const DAY: i64 = 86_400;

/// The energy codes (kWh, points `[ms, value]`), in byte order: exactly
/// the `type=kwh` set.
pub const ENERGY_CODES: [&str; 7] = ["Bc", "Bg", "Gb", "Gc", "Pb", "Pc", "Pg"];
/// Every code the fake knows: the energy codes, then `bs` and `bv`,
/// averaged per bucket (points `[ms, mean, min, max]`).
pub const ALL_CODES: [&str; 9] = ["Bc", "Bg", "Gb", "Gc", "Pb", "Pc", "Pg", "bs", "bv"];
/// The device instances of every code.
pub const INSTANCES: [u32; 2] = [0, 1];

/// How a `show_instance=1` answer lays out `records`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceShape {
    /// `[{"instance": 0, "stats": {code: points|false}}, …]`
    List,
    /// `{"0": {"instance": 0, "stats": {…}}, …}`
    Map,
    /// `{code: {"0": points, "1": points} | false}`
    ByCode,
}

/// What VRM sends when every code of the window is `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyAnswer {
    /// `"records": [], "totals": []`
    EmptyList,
    /// Every code (and instance) `false`.
    AllFalse,
}

/// Everything the answers of one case depend on.
#[derive(Debug, Clone)]
pub struct World {
    pub seed: u64,
    /// Sites `1..=sites` exist.
    pub sites: u64,
    pub instance_shape: InstanceShape,
    pub empty_answer: EmptyAnswer,
    /// Add a point one bucket before `start` and one at `end` to every
    /// non-false list (outside the window asked for).
    pub outside_points: bool,
    pub samples: Samples,
}

/// A decoded `GET /installations/{site}/stats` request.
#[derive(Debug, Clone)]
pub struct StatsRequest {
    pub site: u64,
    pub is_kwh: bool,
    pub codes: Vec<&'static str>,
    /// Bucket length in seconds (900, 3600 or 86 400).
    pub step: i64,
    pub start: i64,
    pub end: i64,
    pub show_instance: bool,
}

/// One bucket with at least one present slot.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    t: i64,
    sum: f64,
    count: u32,
    min: f64,
    max: f64,
}

impl Bucket {
    fn mean(&self) -> f64 {
        self.sum / f64::from(self.count)
    }
}

/// A code's answer for one instance (or all instances merged).
enum Answer {
    False,
    Points(Vec<Bucket>),
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn hash(parts: &[u64]) -> u64 {
    parts.iter().fold(0x243F_6A88_85A3_08D3, |h, &p| mix(h ^ p))
}

fn hash2(key: u64, n: u64) -> u64 {
    mix(key ^ mix(n))
}

/// True for about one hash in `n`.
fn one_in(h: u64, n: u64) -> bool {
    h.is_multiple_of(n)
}

fn code_index(code: &str) -> u64 {
    ALL_CODES.iter().position(|c| *c == code).unwrap_or(99) as u64
}

pub fn is_energy(code: &str) -> bool {
    ENERGY_CODES.contains(&code)
}

fn is_pv(code: &str) -> bool {
    matches!(code, "Pb" | "Pc" | "Pg")
}

// Tags that keep the hash streams of different decisions apart.
const COMMISSIONED: u64 = 1;
const DAY_OUTAGE: u64 = 2;
const HOUR_OUTAGE: u64 = 3;
const ZERO_SHARE: u64 = 4;
const ZERO_BLOCK: u64 = 5;
const VALUE: u64 = 6;
const CLOUD: u64 = 7;

/// The samples of a case, made on first use, by (site, code, instance,
/// day); shared by the clones of its [`World`].
#[derive(Clone, Default)]
pub struct Samples(Arc<Mutex<DaySamples>>);

type DaySamples = HashMap<(u64, u64, u32, i64), Arc<Vec<Option<f64>>>>;

impl fmt::Debug for Samples {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Samples")
    }
}

/// Slots per day.
const DAY_SLOTS: i64 = DAY / SLOT;

impl World {
    /// When `code`'s `instance` at `site` starts reporting (unix s, on a
    /// slot, often mid-hour); `i64::MAX` for a device that never does.
    fn commissioned(&self, site: u64, code: u64, instance: u32) -> i64 {
        let h = hash(&[self.seed, site, COMMISSIONED, code, u64::from(instance)]);
        let slots = |days: i64| (h >> 8) as i64 % (days * DAY_SLOTS);
        match instance {
            0 if one_in(h, 8) => DATA_START,
            0 => DATA_START + slots(90) * SLOT,
            _ if one_in(h, 3) => i64::MAX,
            _ => DATA_START + slots(300) * SLOT,
        }
    }

    /// The 96 samples of `day` (counted from [`DATA_START`]) of one device:
    /// absent (`None`) or a value.
    fn make_day(&self, site: u64, code: &str, instance: u32, day: i64) -> Vec<Option<f64>> {
        let mut out = vec![None; DAY_SLOTS as usize];
        let site_key = hash(&[self.seed, site]);
        // Out of the data year, or the site's logger offline all day.
        if !(0..DATA_DAYS).contains(&day) || one_in(hash2(site_key ^ DAY_OUTAGE, day as u64), 97) {
            return out;
        }
        let c = code_index(code);
        let series_key = hash(&[site_key, c, u64::from(instance)]);
        let commissioned = self.commissioned(site, c, instance);
        let (pv, energy, soc) = (is_pv(code), is_energy(code), code == "bs");
        // Some flows are mostly (or always) zero at a site: grid to
        // battery, battery to grid, a PV charger that is not there. A
        // battery is empty now and then.
        let shares: [u64; 4] = if pv {
            [0, 0, 20, 100]
        } else {
            [0, 35, 90, 100]
        };
        let zero_share = if soc {
            8
        } else {
            shares[(hash(&[site_key, ZERO_SHARE, c]) % 4) as usize]
        };
        let block_hours = if soc { 6 } else { 4 };
        let day_start = DATA_START + day * DAY;
        for hour in 0..24 {
            let t_hour = day_start + hour * HOUR;
            let hour_index = (t_hour / HOUR) as u64;
            if one_in(hash2(site_key ^ HOUR_OUTAGE, hour_index), 61) {
                continue; // the logger offline for an hour
            }
            // Night, or an hour of clouds (or the inverter off), for PV.
            let pv_zero = pv
                && (!(6..19).contains(&hour) || one_in(hash2(series_key ^ CLOUD, hour_index), 11));
            let block = (t_hour / (block_hours * HOUR)) as u64;
            let block_zero = hash2(series_key ^ ZERO_BLOCK, block) % 100 < zero_share;
            for quarter in 0..4 {
                let t = t_hour + quarter * SLOT;
                if t < commissioned {
                    continue;
                }
                let h = hash2(series_key ^ VALUE, (t / SLOT) as u64);
                if one_in(h, 29) {
                    continue; // a single missing sample
                }
                let k = h >> 16;
                let value = if energy {
                    if pv_zero || block_zero {
                        0.0
                    } else {
                        (1 + k % 600) as f64 / 1000.0
                    }
                } else if soc {
                    if block_zero {
                        0.0
                    } else {
                        (50 + k % 951) as f64 / 10.0
                    }
                } else {
                    (4600 + k % 1000) as f64 / 100.0
                };
                out[(hour * 4 + quarter) as usize] = Some(value);
            }
        }
        out
    }

    /// The samples of `day` of one instance, or of all merged: energy adds
    /// up (instance order), means average the present instances.
    fn day_samples(
        &self,
        site: u64,
        code: &str,
        instance: Option<u32>,
        day: i64,
    ) -> Arc<Vec<Option<f64>>> {
        let key = (site, code_index(code), instance.unwrap_or(u32::MAX), day);
        let memo = |samples: &Samples| {
            let memo = samples.0.lock().unwrap_or_else(PoisonError::into_inner);
            memo.get(&key).cloned()
        };
        if let Some(found) = memo(&self.samples) {
            return found;
        }
        let made = match instance {
            Some(i) => self.make_day(site, code, i, day),
            None => {
                let [first, second] = INSTANCES.map(|i| self.day_samples(site, code, Some(i), day));
                let energy = is_energy(code);
                first
                    .iter()
                    .zip(second.iter())
                    .map(|pair| match pair {
                        (None, None) => None,
                        (Some(v), None) | (None, Some(v)) => Some(0.0 + v),
                        (Some(a), Some(b)) if energy => Some(0.0 + a + b),
                        (Some(a), Some(b)) => Some((0.0 + a + b) / 2.0),
                    })
                    .collect()
            }
        };
        let made = Arc::new(made);
        let mut memo = self
            .samples
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        memo.insert(key, Arc::clone(&made));
        made
    }

    /// The samples of the slots in `[from, to)` (unix s, on slots) of one
    /// instance, or of all merged.
    fn samples(
        &self,
        site: u64,
        code: &str,
        instance: Option<u32>,
        from: i64,
        to: i64,
    ) -> Vec<Option<f64>> {
        let first = DATA_START / SLOT;
        let mut out = Vec::with_capacity(((to - from) / SLOT) as usize);
        let mut slot = from / SLOT;
        while slot < to / SLOT {
            let day = (slot - first).div_euclid(DAY_SLOTS);
            let in_day = (slot - first).rem_euclid(DAY_SLOTS);
            let take = (DAY_SLOTS - in_day).min(to / SLOT - slot);
            let samples = self.day_samples(site, code, instance, day);
            out.extend_from_slice(&samples[in_day as usize..(in_day + take) as usize]);
            slot += take;
        }
        out
    }

    /// The present buckets of `[from, to)`, every `step` from `from`, the
    /// last one cut at `to`.
    fn buckets(
        &self,
        req: &StatsRequest,
        code: &str,
        instance: Option<u32>,
        from: i64,
        to: i64,
    ) -> Vec<Bucket> {
        let samples = self.samples(req.site, code, instance, from, to);
        let per_bucket = (req.step / SLOT) as usize;
        let mut buckets = Vec::new();
        for (n, chunk) in samples.chunks(per_bucket).enumerate() {
            let mut bucket: Option<Bucket> = None;
            for v in chunk.iter().flatten() {
                let b = bucket.get_or_insert(Bucket {
                    t: from + n as i64 * req.step,
                    sum: 0.0,
                    count: 0,
                    min: *v,
                    max: *v,
                });
                b.sum += v;
                b.count += 1;
                b.min = b.min.min(*v);
                b.max = b.max.max(*v);
            }
            buckets.extend(bucket);
        }
        buckets
    }

    /// The present buckets of the window, or `false` when none has a
    /// non-zero value (mean codes: a non-zero mean).
    fn answer(&self, req: &StatsRequest, code: &str, instance: Option<u32>) -> Answer {
        let buckets = self.buckets(req, code, instance, req.start, req.end);
        let nonzero = |b: &Bucket| {
            if is_energy(code) {
                b.sum != 0.0
            } else {
                b.mean() != 0.0
            }
        };
        if buckets.iter().any(nonzero) {
            Answer::Points(buckets)
        } else {
            Answer::False
        }
    }

    /// Energy: the sum of the listed values; means: the mean of the means.
    fn total(code: &str, buckets: &[Bucket]) -> f64 {
        if is_energy(code) {
            buckets.iter().fold(0.0, |acc, b| acc + b.sum)
        } else {
            buckets.iter().fold(0.0, |acc, b| acc + b.mean()) / buckets.len() as f64
        }
    }

    /// `[ms, value]`, or `[ms, mean, min, max]` for a mean code.
    fn write_point(out: &mut String, code: &str, b: &Bucket) {
        let ms = b.t * 1000;
        let _ = if is_energy(code) {
            write!(out, "[{ms},{}]", b.sum)
        } else {
            write!(out, "[{ms},{},{},{}]", b.mean(), b.min, b.max)
        };
    }

    /// A series' points as JSON, with the quirk's two extra points outside
    /// the window when this case has it.
    fn points(
        &self,
        req: &StatsRequest,
        code: &str,
        instance: Option<u32>,
        buckets: &[Bucket],
    ) -> String {
        let outside = |t: i64| {
            let found = self.buckets(req, code, instance, t, t + req.step);
            found.first().copied().unwrap_or(Bucket {
                t,
                sum: 0.25,
                count: 1,
                min: 0.25,
                max: 0.25,
            })
        };
        let mut all: Vec<Bucket> = Vec::with_capacity(buckets.len() + 2);
        if self.outside_points {
            all.push(outside(req.start - req.step));
        }
        all.extend_from_slice(buckets);
        if self.outside_points {
            all.push(outside(req.end));
        }
        let mut out = String::with_capacity(all.len() * 24 + 2);
        out.push('[');
        for (n, b) in all.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            Self::write_point(&mut out, code, b);
        }
        out.push(']');
        out
    }

    /// The whole body of a stats answer.
    pub fn stats_body(&self, req: &StatsRequest) -> String {
        if req.show_instance {
            self.per_instance_body(req)
        } else {
            self.merged_body(req)
        }
    }

    fn merged_body(&self, req: &StatsRequest) -> String {
        let mut records = Vec::new();
        let mut totals = Vec::new();
        let mut code_totals: Vec<(&str, f64)> = Vec::new();
        for &code in &req.codes {
            match self.answer(req, code, None) {
                Answer::False => {
                    records.push((code.to_owned(), "false".to_owned()));
                    totals.push((code.to_owned(), "false".to_owned()));
                }
                Answer::Points(buckets) => {
                    records.push((code.to_owned(), self.points(req, code, None, &buckets)));
                    let total = Self::total(code, &buckets);
                    totals.push((code.to_owned(), number(total)));
                    code_totals.push((code, total));
                }
            }
        }
        if code_totals.is_empty() && self.empty_answer == EmptyAnswer::EmptyList {
            return EMPTY_ANSWER.to_owned();
        }
        if req.is_kwh {
            totals.push(("kwh".to_owned(), number(kwh_total(&code_totals))));
        }
        envelope(&object(records), &object(totals))
    }

    fn per_instance_body(&self, req: &StatsRequest) -> String {
        // Per code, per instance.
        let answers: Vec<(&str, Vec<(u32, Answer)>)> = req
            .codes
            .iter()
            .map(|&code| {
                let per = INSTANCES
                    .iter()
                    .map(|&i| (i, self.answer(req, code, Some(i))))
                    .collect();
                (code, per)
            })
            .collect();
        let mut totals = Vec::new();
        let mut code_totals: Vec<(&str, f64)> = Vec::new();
        for (code, per) in &answers {
            let mut by_instance = Vec::new();
            let mut sum = 0.0;
            for (instance, answer) in per {
                if let Answer::Points(buckets) = answer {
                    let total = Self::total(code, buckets);
                    by_instance.push((instance.to_string(), number(total)));
                    sum += total;
                }
            }
            if by_instance.is_empty() {
                totals.push(((*code).to_owned(), "false".to_owned()));
            } else {
                totals.push(((*code).to_owned(), object(by_instance)));
                code_totals.push((code, sum));
            }
        }
        if code_totals.is_empty() && self.empty_answer == EmptyAnswer::EmptyList {
            return EMPTY_ANSWER.to_owned();
        }
        if req.is_kwh {
            totals.push(("kwh".to_owned(), number(kwh_total(&code_totals))));
        }
        // An instance without data in any code is left out; when no code
        // has data at all (and the answer is not `[]`), both are sent.
        let any_data = !code_totals.is_empty();
        let no_data = |i: u32| {
            answers.iter().all(|(_, per)| {
                per.iter()
                    .all(|(j, a)| *j != i || matches!(a, Answer::False))
            })
        };
        let kept: Vec<u32> = INSTANCES
            .into_iter()
            .filter(|&i| !any_data || !no_data(i))
            .collect();
        let series = |code: &str, answer: &Answer, instance: u32| match answer {
            Answer::Points(buckets) => self.points(req, code, Some(instance), buckets),
            Answer::False => "false".to_owned(),
        };
        let stats_of = |i: u32| {
            let stats = answers
                .iter()
                .flat_map(|(code, per)| {
                    per.iter()
                        .filter(|(j, _)| *j == i)
                        .map(|(_, a)| ((*code).to_owned(), series(code, a, i)))
                })
                .collect::<Vec<_>>();
            format!("{{\"instance\":{i},\"stats\":{}}}", object(stats))
        };
        let records = match self.instance_shape {
            InstanceShape::List => {
                let entries: Vec<String> = kept.iter().map(|&i| stats_of(i)).collect();
                format!("[{}]", entries.join(","))
            }
            InstanceShape::Map => object(kept.iter().map(|&i| (i.to_string(), stats_of(i)))),
            InstanceShape::ByCode => object(answers.iter().map(|(code, per)| {
                let by_instance: Vec<(String, String)> = per
                    .iter()
                    .filter(|(_, a)| matches!(a, Answer::Points(_)))
                    .map(|(i, a)| (i.to_string(), series(code, a, *i)))
                    .collect();
                let value = if by_instance.is_empty() {
                    "false".to_owned()
                } else {
                    object(by_instance)
                };
                ((*code).to_owned(), value)
            })),
        };
        envelope(&records, &object(totals))
    }
}

/// VRM's answer when there is no data at all.
const EMPTY_ANSWER: &str = r#"{"success":true,"records":[],"totals":[]}"#;

fn envelope(records: &str, totals: &str) -> String {
    format!(r#"{{"success":true,"records":{records},"totals":{totals}}}"#)
}

/// A JSON object of already written values (keys need no escaping).
fn object(entries: impl IntoIterator<Item = (String, String)>) -> String {
    let entries: Vec<String> = entries
        .into_iter()
        .map(|(k, v)| format!("\"{k}\":{v}"))
        .collect();
    format!("{{{}}}", entries.join(","))
}

/// A finite number as JSON (Rust prints the shortest text that reads
/// back as the same `f64`).
fn number(v: f64) -> String {
    assert!(v.is_finite(), "the rule made a non-finite number");
    v.to_string()
}

/// `kwh`: the codes' totals added in ascending code order, from 0.0.
fn kwh_total(code_totals: &[(&str, f64)]) -> f64 {
    let mut sorted = code_totals.to_vec();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    sorted.iter().fold(0.0, |acc, (_, t)| acc + t)
}

/// The longest window one request may ask for, by bucket length.
pub fn max_window(step: i64) -> i64 {
    if step == DAY { 180 * DAY } else { 31 * DAY }
}
