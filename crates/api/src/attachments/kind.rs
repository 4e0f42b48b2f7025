//! What an uploaded file is, decided by its content (never by its name or the client's
//! `Content-Type`): PDF, Office (OOXML and the older binary formats) and OpenDocument
//! files, PNG, JPEG, CSV and plain text are accepted; HTML, SVG, XML, scripts,
//! executables and everything else are refused.
//!
//! The [`Sniffer`] sees the file as it streams by: it keeps the first 64 KiB (magic
//! numbers, markup markers) and checks the whole file is UTF-8 without NUL (text). Zip
//! archives are opened from the temporary file to tell an Office or OpenDocument file
//! from any other archive.

use std::io::Read;
use std::path::Path;

/// How much of the start of the file is kept for the checks.
const HEAD_BYTES: usize = 64 * 1024;

/// What markup looks like at the start of a text file: any of these (case-insensitive)
/// in the first 64 KiB makes it refused, as a browser might render it.
const MARKUP: &[&str] = &[
    "<!doctype",
    "<html",
    "<head",
    "<body",
    "<script",
    "<svg",
    "<?xml",
    "<iframe",
    "<meta",
    "<img",
    "<object",
    "<embed",
    "<style",
    "<link",
    "<a ",
    "<form",
    "<xml",
];

/// Watches an upload stream by.
#[derive(Debug, Default)]
pub struct Sniffer {
    head: Vec<u8>,
    /// Up to three bytes of a character cut by a chunk boundary.
    pending: Vec<u8>,
    not_text: bool,
}

impl Sniffer {
    /// Sees the next chunk.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        if self.not_text {
            return;
        }
        if chunk.contains(&0) {
            self.not_text = true;
            return;
        }
        let mut joined;
        let bytes: &[u8] = if self.pending.is_empty() {
            chunk
        } else {
            joined = std::mem::take(&mut self.pending);
            joined.extend_from_slice(chunk);
            &joined
        };
        match std::str::from_utf8(bytes) {
            Ok(_) => self.pending.clear(),
            Err(e) if e.error_len().is_none() => {
                self.pending = bytes[e.valid_up_to()..].to_vec();
            }
            Err(_) => self.not_text = true,
        }
    }

    /// The media type of the whole file at `file` (named `filename` by the client), or
    /// why it is refused.
    pub fn finish(self, file: &Path, filename: &str) -> Result<String, String> {
        let refused = |what: &str| {
            Err(format!(
                "{what} is not accepted; send a PDF, an Office or OpenDocument file, a PNG or JPEG image, a CSV or a plain text file"
            ))
        };
        if let Some(t) = infer::get(&self.head) {
            return match t.mime_type() {
                m @ ("application/pdf"
                | "image/png"
                | "image/jpeg"
                | "application/msword"
                | "application/vnd.ms-excel"
                | "application/vnd.ms-powerpoint") => Ok(m.to_owned()),
                "application/zip"
                | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                | "application/vnd.openxmlformats-officedocument.presentationml.presentation"
                | "application/vnd.oasis.opendocument.text"
                | "application/vnd.oasis.opendocument.spreadsheet"
                | "application/vnd.oasis.opendocument.presentation" => office(file),
                other => refused(&format!("a file of type {other}")),
            };
        }
        if self.not_text || !self.pending.is_empty() {
            return refused("a binary file of unknown type");
        }
        let text = String::from_utf8_lossy(&self.head).to_lowercase();
        let start = text.trim_start_matches('\u{feff}').trim_start();
        if start.starts_with("#!") {
            return refused("a script");
        }
        if let Some(m) = MARKUP.iter().find(|m| text.contains(*m)) {
            return refused(&format!("text with markup ({m}...): HTML, SVG or XML"));
        }
        let lower = filename.to_lowercase();
        if lower.ends_with(".csv") {
            Ok("text/csv".into())
        } else {
            Ok("text/plain".into())
        }
    }
}

/// A zip archive is accepted only as an Office (OOXML: `[Content_Types].xml` and its main
/// part, no macros) or OpenDocument (a `mimetype` entry naming the kind) file.
fn office(file: &Path) -> Result<String, String> {
    let refuse = || {
        Err("a zip archive that is not an Office or OpenDocument file (or one with macros) is not accepted".to_owned())
    };
    let Ok(f) = std::fs::File::open(file) else {
        return refuse();
    };
    let Ok(mut zip) = zip::ZipArchive::new(f) else {
        return refuse();
    };
    let names: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .map(std::borrow::Cow::into_owned)
        .collect();
    let has = |n: &str| names.iter().any(|x| x == n);
    if names
        .iter()
        .any(|n| n.to_lowercase().ends_with("vbaproject.bin"))
    {
        return refuse();
    }
    if has("[Content_Types].xml") {
        for (part, media) in [
            (
                "word/document.xml",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
            (
                "xl/workbook.xml",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                "ppt/presentation.xml",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            ),
        ] {
            if has(part) {
                return Ok(media.to_owned());
            }
        }
        return refuse();
    }
    if has("mimetype") {
        let mut kind = String::new();
        if let Ok(entry) = zip.by_name("mimetype") {
            let _ = entry.take(200).read_to_string(&mut kind);
        }
        let kind = kind.trim();
        if matches!(
            kind,
            "application/vnd.oasis.opendocument.text"
                | "application/vnd.oasis.opendocument.spreadsheet"
                | "application/vnd.oasis.opendocument.presentation"
        ) {
            return Ok(kind.to_owned());
        }
    }
    refuse()
}

/// A file name fit to store and to send back in `Content-Disposition`: the last part
/// of any path, without control characters or characters Windows reserves, not a
/// reserved device name, not hidden, at most 200 characters; `file` when nothing is left.
pub fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut name: String = last
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| {
            if matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    name = name
        .trim()
        .trim_start_matches('.')
        .trim_end_matches(['.', ' '])
        .to_owned();
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .trim()
        .to_uppercase();
    let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit());
    if reserved {
        name = format!("_{name}");
    }
    if name.chars().count() > 200 {
        // Keep the extension.
        let ext: String = name
            .rsplit_once('.')
            .map(|(_, e)| e)
            .filter(|e| e.len() <= 10)
            .map(|e| format!(".{e}"))
            .unwrap_or_default();
        let stem: String = name.chars().take(200 - ext.chars().count()).collect();
        name = format!("{stem}{ext}");
    }
    if name.is_empty() { "file".into() } else { name }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_folders_controls_and_reserved_forms() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\x\\report.pdf"), "report.pdf");
        assert_eq!(clean_name("a\u{0}b\nc.pdf"), "abc.pdf");
        assert_eq!(clean_name("CON.txt"), "_CON.txt");
        assert_eq!(clean_name("lpt1"), "_lpt1");
        assert_eq!(clean_name(".hidden"), "hidden");
        assert_eq!(clean_name("/"), "file");
        assert_eq!(clean_name("a<b>:c.pdf"), "a_b__c.pdf");
        assert_eq!(clean_name(&format!("{}.pdf", "x".repeat(300))).len(), 200);
    }

    #[test]
    fn utf8_cut_across_chunks_is_still_text() {
        let text = "Tập huấn cán bộ, ".repeat(1000);
        let bytes = text.as_bytes();
        let mut s = Sniffer::default();
        for chunk in bytes.chunks(7) {
            s.feed(chunk);
        }
        assert!(!s.not_text);
        assert!(s.pending.is_empty());
        let mut s = Sniffer::default();
        s.feed(&[0xff, 0xfe, 0x41]);
        assert!(s.not_text);
    }
}
