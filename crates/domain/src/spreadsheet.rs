//! Text cells of the CSV files the tracker writes and reads back, against formula
//! injection (OWASP, "CSV Injection"; docs/security.md, "Exports").
//!
//! A spreadsheet runs a cell starting with `=` (and the other [`FORMULA_TRIGGERS`]) as a
//! formula. Every text cell of every CSV the tracker writes goes through [`neutralise`]:
//! such text is prefixed with a single quote `'`, the spreadsheet's own "this is text"
//! mark. Text that itself starts with `'` is prefixed too, so that [`read_neutralised`],
//! which the matrix import applies to every CSV cell, gives back exactly the text that
//! was written: an exported matrix imports unchanged.

use std::borrow::Cow;

/// The first characters that make a spreadsheet read a cell as a formula: `=`, `+`,
/// `-`, `@`, tab and carriage return, and the full-width forms of the first four, which
/// spreadsheets in East Asian locales read as the ASCII ones.
pub const FORMULA_TRIGGERS: [char; 10] = [
    '=', '+', '-', '@', '\t', '\r', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
];

/// The mark that makes a spreadsheet read a cell as text.
pub const TEXT_MARK: char = '\'';

fn needs_mark(text: &str) -> bool {
    text.starts_with(FORMULA_TRIGGERS) || text.starts_with(TEXT_MARK)
}

/// A text cell as a spreadsheet must show it: when it starts with a formula trigger
/// ([`FORMULA_TRIGGERS`]) or with the mark `'` itself, prefixed with `'` so that it is
/// read as text (and read back exactly by [`read_neutralised`]); otherwise as it is.
/// The rest of the text is kept as it is.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if needs_mark(text) {
        Cow::Owned(format!("{TEXT_MARK}{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The text a cell written by [`neutralise`] holds: a leading `'` followed by what
/// [`neutralise`] marks is dropped; anything else is kept as it is. The exact inverse:
/// `read_neutralised(&neutralise(t)) == t` for every `t`.
pub fn read_neutralised(cell: &str) -> &str {
    match cell.strip_prefix(TEXT_MARK) {
        Some(rest) if needs_mark(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_triggers_and_the_mark_are_prefixed_and_other_text_is_kept() {
        for text in [
            "=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\r=1", "＝1", "＋1", "－1", "＠A1", "'quoted",
            "'=1",
        ] {
            assert_eq!(neutralise(text), format!("'{text}"), "{text:?}");
        }
        for text in ["", "a=b", " =1", "Venue confirmed", "\n=1", "a'b"] {
            assert!(matches!(neutralise(text), Cow::Borrowed(t) if t == text));
        }
    }

    #[test]
    fn reading_back_gives_exactly_what_was_neutralised() {
        for text in [
            "",
            "=1+1",
            "+1",
            "-2",
            "@A1",
            "\tx",
            "\r=1",
            "＝1",
            "＋1",
            "－1",
            "＠A1",
            "'",
            "''",
            "'quoted",
            "'=1",
            "''=1",
            "a=b",
            " =1",
            "Venue confirmed",
            "\n=1",
            "x'",
        ] {
            assert_eq!(read_neutralised(&neutralise(text)), text, "{text:?}");
        }
        // What a person typed: a spreadsheet's text mark before a formula trigger is
        // dropped, a lone or ordinary apostrophe is kept.
        assert_eq!(read_neutralised("'=SUM(A1)"), "=SUM(A1)");
        assert_eq!(read_neutralised("'s-Hertogenbosch"), "'s-Hertogenbosch");
    }
}
