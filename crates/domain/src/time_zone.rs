//! Accounts' time zones (issue 24, item 10): which names are zones, which come first in
//! a choice, and the offset a zone has at a moment. Pure.
//!
//! The zone rules are `chrono-tz`'s: the IANA time zone database compiled into the
//! binary, so a zone means the same on every server (no dependence on the host's
//! `/usr/share/zoneinfo`, absent from slim containers), historic and future offset
//! changes are known, and names are checked against the same list the pages offer.

use chrono::{DateTime, Offset, TimeZone, Utc};
pub use chrono_tz::Tz;

use crate::ValidationErrors;

/// The zones offered first: those of the ASEAN member states and Timor-Leste (UTC+6:30
/// to UTC+9), then UTC.
pub const FIRST: &[&str] = &[
    "Asia/Jakarta",
    "Asia/Makassar",
    "Asia/Jayapura",
    "Asia/Bangkok",
    "Asia/Ho_Chi_Minh",
    "Asia/Manila",
    "Asia/Kuala_Lumpur",
    "Asia/Singapore",
    "Asia/Brunei",
    "Asia/Phnom_Penh",
    "Asia/Vientiane",
    "Asia/Yangon",
    "Asia/Dili",
    "UTC",
];

/// The longest zone name accepted (the column is 64 characters).
pub const MAX_LEN: usize = 64;

/// The zone named exactly `name` (an IANA name such as `Asia/Jakarta`), if it is one.
pub fn parse(name: &str) -> Option<Tz> {
    if name.is_empty() || name.len() > MAX_LEN {
        return None;
    }
    name.parse::<Tz>().ok()
}

/// Checks a zone name for `field`; the zone when it is one.
pub fn check(errors: &mut ValidationErrors, field: &str, name: &str) -> Option<Tz> {
    let zone = parse(name.trim());
    if zone.is_none() {
        errors.add(
            field,
            "is not a time zone: use an IANA name such as Asia/Jakarta or UTC",
        );
    }
    zone
}

/// Every other zone a person may choose after [`FIRST`]: the geographic IANA names
/// (`Region/City`), sorted. Old aliases (`US/Eastern`, `Etc/GMT+7`) are accepted by
/// [`parse`] but not offered.
pub fn rest() -> Vec<&'static str> {
    const REGIONS: &[&str] = &[
        "Africa/",
        "America/",
        "Antarctica/",
        "Arctic/",
        "Asia/",
        "Atlantic/",
        "Australia/",
        "Europe/",
        "Indian/",
        "Pacific/",
    ];
    let mut names: Vec<&'static str> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|z| z.name())
        .filter(|n| REGIONS.iter().any(|r| n.starts_with(r)) && !FIRST.contains(n))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// The offset from UTC, in seconds, that `zone` has at `t`.
pub fn offset_seconds(zone: Tz, t: DateTime<Utc>) -> i32 {
    zone.offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc()
}

/// An offset as people write it: `UTC`, `UTC+7`, `UTC+6:30`, `UTC-3`.
pub fn offset_label(seconds: i32) -> String {
    if seconds == 0 {
        return "UTC".to_owned();
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    let (h, m) = (minutes / 60, minutes % 60);
    if m == 0 {
        format!("UTC{sign}{h}")
    } else {
        format!("UTC{sign}{h}:{m:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_state_zones_are_zones_with_their_offsets() {
        let t = Utc
            .with_ymd_and_hms(2026, 12, 20, 21, 55, 0)
            .single()
            .expect("a moment");
        for name in FIRST {
            assert!(parse(name).is_some(), "{name}");
        }
        let label = |n: &str| offset_label(offset_seconds(parse(n).expect("a zone"), t));
        assert_eq!(label("Asia/Jakarta"), "UTC+7");
        assert_eq!(label("Asia/Yangon"), "UTC+6:30");
        assert_eq!(label("Asia/Jayapura"), "UTC+9");
        assert_eq!(label("UTC"), "UTC");
        assert_eq!(label("America/St_Johns"), "UTC-3:30");
    }

    #[test]
    fn unknown_names_are_refused() {
        for bad in [
            "",
            "Asia/Jakartaa",
            "asia/jakarta",
            "+07:00",
            "Mars/Olympus",
            &"A/".repeat(40),
        ] {
            assert!(parse(bad).is_none(), "{bad}");
            let mut e = ValidationErrors::new();
            assert!(check(&mut e, "time_zone", bad).is_none());
            assert!(e.finish().is_err());
        }
    }

    #[test]
    fn the_rest_is_sorted_without_the_first_ones() {
        let rest = rest();
        assert!(rest.len() > 300, "{}", rest.len());
        assert!(rest.windows(2).all(|w| w[0] < w[1]));
        assert!(!rest.contains(&"Asia/Jakarta"));
        assert!(rest.contains(&"Europe/Paris"));
        assert!(!rest.contains(&"US/Eastern"));
    }
}
