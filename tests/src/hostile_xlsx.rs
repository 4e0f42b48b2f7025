//! Hostile XLSX files for the matrix import's limits (issue 14), built with the `zip`
//! crate on a minimal but valid package, so that each file is refused for its one
//! hostile part and nothing else ([`plain`] imports as it is).
//!
//! Shared with the process-level tests of `wpt-server` (`crates/server/tests/abuse.rs`
//! includes this file), so it uses nothing but `std` and `zip`.

use std::io::Write;

use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Matrix" sheetId="1" r:id="rId1"/></sheets></workbook>"#;

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

const SHEET_START: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#;

/// The column letters of a 0-based column index (`0` is `A`, `16383` is `XFD`).
pub fn column_name(mut col: u32) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + u8::try_from(col % 26).unwrap_or(0));
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A cell of inline text at 0-based `(row, col)`.
fn text_cell(row: u32, col: u32, text: &str) -> String {
    format!(
        r#"<c r="{}{}" t="inlineStr"><is><t>{}</t></is></c>"#,
        column_name(col),
        row + 1,
        escape(text)
    )
}

/// A package of the minimal parts with `sheet` as its only worksheet and
/// `shared_strings` as its shared strings; `(name, bytes, level)` entries replace a
/// part of that name or are added (level: `None` stores, `Some(n)` deflates at `n`).
pub fn package(
    sheet: &[u8],
    shared_strings: &[u8],
    extra: &[(&str, &[u8], Option<i64>)],
) -> Vec<u8> {
    let mut parts: Vec<(&str, &[u8], Option<i64>)> = vec![
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes(), Some(6)),
        ("_rels/.rels", ROOT_RELS.as_bytes(), Some(6)),
        ("xl/workbook.xml", WORKBOOK.as_bytes(), Some(6)),
        (
            "xl/_rels/workbook.xml.rels",
            WORKBOOK_RELS.as_bytes(),
            Some(6),
        ),
        ("xl/worksheets/sheet1.xml", sheet, Some(6)),
        ("xl/sharedStrings.xml", shared_strings, Some(6)),
    ];
    for (name, bytes, level) in extra {
        match parts.iter_mut().find(|(n, _, _)| n == name) {
            Some(part) => *part = (name, bytes, *level),
            None => parts.push((name, bytes, *level)),
        }
    }
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes, level) in parts {
        let options = match level {
            None => SimpleFileOptions::default().compression_method(CompressionMethod::Stored),
            Some(n) => SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .compression_level(Some(n)),
        }
        .large_file(bytes.len() > u32::MAX as usize / 2);
        zip.start_file(name, options).expect("zip entry");
        zip.write_all(bytes).expect("zip write");
    }
    zip.finish().expect("zip finish").into_inner()
}

/// The sheet XML of `rows` of inline text, starting at A1, with an honest dimension.
pub fn sheet_of(rows: &[Vec<String>]) -> String {
    let width = rows.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let mut xml = format!(
        r#"{SHEET_START}<dimension ref="A1:{}{}"/><sheetData>"#,
        column_name(u32::try_from(width - 1).unwrap_or(0)),
        rows.len().max(1)
    );
    for (r, cells) in rows.iter().enumerate() {
        let r = u32::try_from(r).unwrap_or(u32::MAX);
        xml.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, text) in cells.iter().enumerate() {
            xml.push_str(&text_cell(r, u32::try_from(c).unwrap_or(0), text));
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

/// An empty shared-strings part.
pub const NO_SHARED_STRINGS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"></sst>"#;

/// A well-formed workbook of `rows` (the control case: it imports).
pub fn plain(rows: &[Vec<String>]) -> Vec<u8> {
    package(sheet_of(rows).as_bytes(), NO_SHARED_STRINGS.as_bytes(), &[])
}

/// A 1 KB workbook whose shared-strings table claims 10^17 entries (it has one): a
/// reader that reserves what the file declares asks for 2.4 EB and aborts.
pub fn absurd_shared_strings(rows: &[Vec<String>]) -> Vec<u8> {
    let sst = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="100000000000000000" uniqueCount="100000000000000000"><si><t>Code</t></si></sst>"#;
    package(sheet_of(rows).as_bytes(), sst.as_bytes(), &[])
}

/// A sheet with cells A1 and XFD1048576 only: a reader that makes a dense range of
/// the used area asks for 17 billion cells. `honest_dimension` declares that range in
/// `<dimension ref=...>`; otherwise the dimension claims `A1:A1` and only the cells
/// tell.
pub fn far_apart_cells(honest_dimension: bool) -> Vec<u8> {
    let dimension = if honest_dimension {
        "A1:XFD1048576"
    } else {
        "A1:A1"
    };
    let sheet = format!(
        r#"{SHEET_START}<dimension ref="{dimension}"/><sheetData><row r="1">{}</row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>"#,
        text_cell(0, 0, "Code")
    );
    package(sheet.as_bytes(), NO_SHARED_STRINGS.as_bytes(), &[])
}

/// How far [`deflate_bomb`]'s worksheet expands: 1000 MiB.
pub const BOMB_BYTES: usize = 1000 << 20;

/// A workbook under 1 MiB whose worksheet inflates to [`BOMB_BYTES`] of blanks
/// (deflate's best ratio, about 1030 to 1); the sizes it declares are the true ones.
pub fn deflate_bomb() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let small = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, text) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/sharedStrings.xml", NO_SHARED_STRINGS),
    ] {
        zip.start_file(name, small).expect("zip entry");
        zip.write_all(text.as_bytes()).expect("zip write");
    }
    let bomb = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(2))
        .large_file(true);
    zip.start_file("xl/worksheets/sheet1.xml", bomb)
        .expect("zip entry");
    let start = format!("{SHEET_START}<sheetData>");
    let end = "</sheetData></worksheet>";
    zip.write_all(start.as_bytes()).expect("zip write");
    let blanks = vec![b' '; 1 << 20];
    let mut left = BOMB_BYTES - start.len() - end.len();
    while left > 0 {
        let n = left.min(blanks.len());
        zip.write_all(&blanks[..n]).expect("zip write");
        left -= n;
    }
    zip.write_all(end.as_bytes()).expect("zip write");
    zip.finish().expect("zip finish").into_inner()
}
