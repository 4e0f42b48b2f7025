//! Reading the first sheet of an uploaded workbook within bounds (issue 14).
//!
//! calamine trusts what a file declares: it reserves as many shared strings as
//! `uniqueCount` claims (10^17 in a 1 KB file aborts the process on the allocation),
//! makes a dense range of the used area (cells A1 and XFD1048576 ask for 17 billion
//! cells), and inflates every part it reads whole (a deflate bomb of under 1 MiB
//! becomes a gigabyte). So the package is checked first with the `zip` crate calamine
//! itself uses, through a reader capped at the limits below, and the sheet is then
//! read cell by cell, refusing any cell the matrix cannot have, instead of as a range.

use std::io::{Cursor, Read};

use calamine::{Data, DataRef, DataType, Reader, Xlsx, XlsxError, open_workbook_from_rs};

use super::{MAX_ROWS, Table};

/// Most entries a workbook may have (one from a spreadsheet program has 10 to 30).
pub const MAX_ENTRIES: usize = 100;
/// Most bytes one entry may inflate to.
pub const MAX_ENTRY_BYTES: u64 = 32 << 20;
/// Most bytes all entries together may inflate to.
pub const MAX_TOTAL_BYTES: u64 = 64 << 20;
/// Highest inflation ratio of an entry larger than [`RATIO_FLOOR`] (sheet XML reaches
/// 10 to 30; deflate's best is about 1030).
pub const MAX_RATIO: u64 = 200;
/// Entries up to this size may have any ratio.
const RATIO_FLOOR: u64 = 1 << 20;
/// Most shared strings a workbook may declare (`count` or `uniqueCount`); a matrix of
/// [`MAX_ROWS`] rows has a few tens of thousands.
pub const MAX_SHARED_STRINGS: u64 = 500_000;
/// Every shared string takes at least `<si/>`, 5 bytes: a table that declares more
/// strings than its size allows is lying.
const MIN_SHARED_STRING_BYTES: u64 = 5;
/// How far into the shared-strings part its `<sst ...>` tag must start.
const SST_HEAD_BYTES: usize = 4096;
/// Rows the first sheet may reach: the header, [`MAX_ROWS`] rows, and as many blank
/// rows between them.
pub const MAX_SHEET_ROWS: u32 = 2 * MAX_ROWS as u32 + 1;
/// Columns the first sheet may reach (A to BL); the matrix has eleven.
pub const MAX_COLUMNS: u32 = 64;

/// Why a workbook is refused.
#[derive(Debug)]
pub(super) enum Refusal {
    /// It inflates past the limits (413).
    TooLarge(String),
    /// It is malformed or beyond what a matrix can be (422).
    Invalid(String),
}

use Refusal::{Invalid, TooLarge};

/// The first sheet of `bytes` as rows of text, or why not.
pub(super) fn read(bytes: &[u8]) -> Result<Table, Refusal> {
    check_package(bytes)?;
    read_first_sheet(bytes)
}

fn unreadable(e: impl std::fmt::Display) -> Refusal {
    Invalid(format!("the XLSX file cannot be read: {e}"))
}

/// Entry count, sizes (declared, and actual through a capped reader), ratios, and the
/// shared strings' declared counts.
fn check_package(bytes: &[u8]) -> Result<(), Refusal> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    if zip.len() > MAX_ENTRIES {
        return Err(Invalid(format!(
            "the XLSX file has {} parts; a workbook has at most {MAX_ENTRIES}",
            zip.len()
        )));
    }
    let too_large = |what: &str| {
        TooLarge(format!(
            "the XLSX file inflates to more than its limits ({what}; at most {} MiB a part, {} MiB in all, {MAX_RATIO} times its compressed size)",
            MAX_ENTRY_BYTES >> 20,
            MAX_TOTAL_BYTES >> 20
        ))
    };
    let mut total = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(unreadable)?;
        let name = entry
            .name()
            .map_err(unreadable)?
            .replace('\\', "/")
            .to_ascii_lowercase();
        let compressed = entry.compressed_size().max(1);
        if entry.size() > MAX_ENTRY_BYTES || total.saturating_add(entry.size()) > MAX_TOTAL_BYTES {
            return Err(too_large(&format!(
                "{name} declares {} bytes",
                entry.size()
            )));
        }
        let shared_strings = name.ends_with("sharedstrings.xml");
        let mut head = Vec::new();
        let mut actual = 0u64;
        let mut capped = (&mut entry).take(MAX_ENTRY_BYTES + 1);
        loop {
            let n = capped.read(&mut buf).map_err(unreadable)?;
            if n == 0 {
                break;
            }
            if shared_strings && head.len() < SST_HEAD_BYTES {
                let room = SST_HEAD_BYTES - head.len();
                head.extend_from_slice(&buf[..n.min(room)]);
            }
            actual += n as u64;
            if actual > MAX_ENTRY_BYTES || total + actual > MAX_TOTAL_BYTES {
                return Err(too_large(&format!("{name} inflates past the limit")));
            }
        }
        if actual > RATIO_FLOOR && actual / compressed > MAX_RATIO {
            return Err(too_large(&format!(
                "{name} inflates {} times",
                actual / compressed
            )));
        }
        total += actual;
        if shared_strings {
            check_shared_strings(&head, actual)?;
        }
    }
    Ok(())
}

/// The `count` and `uniqueCount` of the `<sst>` tag at the start of `head`, checked
/// against [`MAX_SHARED_STRINGS`] and the part's actual `size`.
fn check_shared_strings(head: &[u8], size: u64) -> Result<(), Refusal> {
    let text = String::from_utf8_lossy(head);
    let start = text
        .match_indices("sst")
        .map(|(i, _)| i)
        .find(|&i| {
            let before = text[..i].chars().next_back();
            let after = text[i + 3..].chars().next();
            matches!(before, Some('<' | ':'))
                && matches!(after, Some(c) if c == '>' || c == '/' || c.is_whitespace())
        })
        .ok_or_else(|| {
            Invalid("the XLSX file's shared strings do not start with an <sst> tag".into())
        })?;
    let tag = &text[start + 3..];
    let tag = &tag[..tag
        .find('>')
        .ok_or_else(|| Invalid("the XLSX file's <sst> tag does not end near its start".into()))?];
    let limit = MAX_SHARED_STRINGS.min(size / MIN_SHARED_STRING_BYTES);
    for (name, value) in attributes(tag) {
        if name != "count" && name != "uniqueCount" {
            continue;
        }
        let declared = value
            .parse::<u64>()
            .ok()
            .filter(|_| value.bytes().all(|b| b.is_ascii_digit()));
        match declared {
            // `count` counts references to the strings, which may repeat; only its
            // absolute size is bounded.
            Some(n) if name == "count" && n <= MAX_SHARED_STRINGS * 20 => {}
            Some(n) if name == "uniqueCount" && n <= limit => {}
            _ => {
                return Err(Invalid(format!(
                    "the XLSX file's shared strings declare {name}=\"{}\" in {size} bytes; a workbook has at most {MAX_SHARED_STRINGS}",
                    value.chars().take(40).collect::<String>()
                )));
            }
        }
    }
    Ok(())
}

/// The `name="value"` (or `'value'`) pairs of a tag's text.
fn attributes(tag: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = tag;
    while let Some(eq) = rest.find('=') {
        let name = rest[..eq].trim();
        let name = name.rsplit(char::is_whitespace).next().unwrap_or(name);
        let after = rest[eq + 1..].trim_start();
        let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            break;
        };
        let Some(end) = after[1..].find(quote) else {
            break;
        };
        out.push((name, &after[1..=end]));
        rest = &after[end + 2..];
    }
    out
}

/// The column letters of a 0-based column index.
fn column_name(mut col: u32) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

fn cell_name((row, col): (u32, u32)) -> String {
    format!("{}{}", column_name(col), u64::from(row) + 1)
}

fn beyond(pos: (u32, u32)) -> bool {
    pos.0 >= MAX_SHEET_ROWS || pos.1 >= MAX_COLUMNS
}

fn bounds() -> String {
    format!(
        "a matrix fits in {MAX_SHEET_ROWS} rows and {MAX_COLUMNS} columns (A1:{})",
        cell_name((MAX_SHEET_ROWS - 1, MAX_COLUMNS - 1))
    )
}

/// The first sheet, cell by cell: the sheet's declared dimension and every cell must
/// lie within [`MAX_SHEET_ROWS`] and [`MAX_COLUMNS`]. Rows and columns are those of
/// the used area (from its first used row and column), as calamine's range had them.
fn read_first_sheet(bytes: &[u8]) -> Result<Table, Refusal> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).map_err(unreadable)?;
    let name = book
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| Invalid("the workbook has no sheet".into()))?;
    let mut reader = match book.worksheet_cells_reader(&name) {
        Ok(reader) => reader,
        Err(XlsxError::NotAWorksheet(_)) => return Ok(Vec::new()),
        Err(e) => return Err(Invalid(format!("the first sheet cannot be read: {e}"))),
    };
    let declared = reader.dimensions();
    if beyond(declared.end) {
        return Err(Invalid(format!(
            "the first sheet spans {}:{}; {}",
            cell_name(declared.start),
            cell_name(declared.end),
            bounds()
        )));
    }
    let mut cells: Vec<((u32, u32), String)> = Vec::new();
    while let Some(cell) = reader
        .next_cell()
        .map_err(|e| Invalid(format!("the first sheet cannot be read: {e}")))?
    {
        if matches!(cell.get_value(), DataRef::Empty) {
            continue;
        }
        let pos = cell.get_position();
        if beyond(pos) || cells.len() >= (MAX_SHEET_ROWS * MAX_COLUMNS) as usize {
            return Err(Invalid(format!(
                "the first sheet has a cell at {}; {}",
                cell_name(pos),
                bounds()
            )));
        }
        cells.push((pos, text_of(&Data::from(cell.get_value().clone()))));
    }
    let (Some(top), Some(left)) = (
        cells.iter().map(|(p, _)| p.0).min(),
        cells.iter().map(|(p, _)| p.1).min(),
    ) else {
        return Ok(Vec::new());
    };
    let bottom = cells.iter().map(|(p, _)| p.0).max().unwrap_or(top);
    let mut table: Table = vec![Vec::new(); (bottom - top + 1) as usize];
    for ((row, col), text) in cells {
        let row = &mut table[(row - top) as usize];
        let col = (col - left) as usize;
        if row.len() <= col {
            row.resize(col + 1, String::new());
        }
        row[col] = text;
    }
    Ok(table)
}

/// A cell as the import reads it: dates as `YYYY-MM-DD`, whole numbers without a
/// fraction, anything else as its text.
fn text_of(c: &Data) -> String {
    match c {
        Data::DateTime(_) | Data::DateTimeIso(_) => {
            c.as_date().map(|d| d.to_string()).unwrap_or_default()
        }
        Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
        other => other.to_string().trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_string_counts_are_checked_against_the_limit_and_the_size() {
        let sst = |attrs: &str| {
            format!("<?xml version=\"1.0\"?>\n<sst xmlns=\"x\" {attrs}><si><t>a</t></si></sst>")
        };
        let ok = sst("count=\"3\" uniqueCount=\"1\"");
        assert!(check_shared_strings(ok.as_bytes(), 1000).is_ok());
        for bad in [
            "uniqueCount=\"100000000000000000\"",
            "uniqueCount='100000000000000000'",
            "count=\"100000000000000000\"",
            "uniqueCount=\"+5\"",
            "uniqueCount=\"999999999999999999999999\"",
            "uniqueCount=\"300\"",
        ] {
            assert!(
                matches!(
                    check_shared_strings(sst(bad).as_bytes(), 1000),
                    Err(Invalid(_))
                ),
                "{bad}"
            );
        }
        let prefixed = "<x:sst xmlns:x=\"x\" uniqueCount=\"100000000000000000\">";
        assert!(check_shared_strings(prefixed.as_bytes(), 1000).is_err());
        assert!(check_shared_strings(b"<notsst/>", 1000).is_err());
    }

    /// A package of one deflated entry of `size` blanks.
    fn blanks(size: usize) -> Vec<u8> {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(9));
        zip.start_file("xl/worksheets/sheet1.xml", options)
            .expect("entry");
        zip.write_all(&vec![b' '; size]).expect("write");
        zip.finish().expect("finish").into_inner()
    }

    #[test]
    fn entries_are_measured_as_they_inflate_whatever_they_declare() {
        // 2 MiB of blanks inflate about 1000 times: past the ratio.
        assert!(matches!(check_package(&blanks(2 << 20)), Err(TooLarge(_))));
        // 40 MiB declared as 1000 bytes (local header and central directory): refused
        // at the declared size (the zip crate stops there) or at the cap, long before
        // 40 MiB are held anywhere.
        let mut lying = blanks(40 << 20);
        let declared = u32::try_from(40usize << 20).expect("small").to_le_bytes();
        let mut patched = 0;
        for i in 0..lying.len().saturating_sub(4) {
            if lying[i..i + 4] == declared {
                lying[i..i + 4].copy_from_slice(&1000u32.to_le_bytes());
                patched += 1;
            }
        }
        assert_eq!(patched, 2, "the local header and the central directory");
        assert!(check_package(&lying).is_err());
    }

    #[test]
    fn cells_and_columns_are_named_as_in_a_spreadsheet() {
        assert_eq!(cell_name((0, 0)), "A1");
        assert_eq!(cell_name((1_048_575, 16_383)), "XFD1048576");
        assert_eq!(column_name(MAX_COLUMNS - 1), "BL");
    }
}
