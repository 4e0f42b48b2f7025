//! A small WordprocessingML (OOXML) writer: exactly the parts the meeting paper needs,
//! streamed into a zip so a 10,000-activity plan never exists twice in memory.
//!
//! - the package: content types, relationships, core properties, settings (Word 2013+
//!   compatibility, so Word does not open it in compatibility mode);
//! - styles: `Normal`, `Title`, the built-in `heading 1` to `heading 3` (outline levels 0
//!   to 2: the navigation pane and an inserted table of contents use them), `header`,
//!   `footer`, a table style with borders, and the hyperlink character style;
//! - one section: A4 portrait with 2 cm margins, the same header on every page and a
//!   footer with "Page N of M" (the `PAGE` and `NUMPAGES` fields);
//! - tables whose first row is marked `w:tblHeader` (repeated at the top of every page
//!   the table runs onto) with fixed column widths so that text wraps in its cell.
//!
//! All text goes through [`esc`] (XML escaping, and characters XML 1.0 cannot carry
//! dropped); nothing a user wrote is ever written as markup.

use std::io::{Cursor, Write};

use zip::ZipWriter;
use zip::result::ZipResult;
use zip::write::SimpleFileOptions;

/// Width of the text between the margins, in twentieths of a point (A4, 2 cm margins).
pub const TEXT_WIDTH: u32 = 11_906 - 2 * 1_134;

const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const REL_HYPERLINK: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink";

/// Flush the document buffer into the zip once it holds this much.
const FLUSH_AT: usize = 256 * 1024;

/// `text` escaped for XML text and attribute values; characters XML 1.0 cannot carry
/// (control characters other than tab, line feed and carriage return) are dropped.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// One run of text: line breaks become `w:br`, tabs `w:tab`.
pub fn run(text: &str, bold: bool) -> String {
    let mut out = String::from("<w:r>");
    if bold {
        out.push_str("<w:rPr><w:b/></w:rPr>");
    }
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("<w:br/>");
        }
        for (j, part) in line.split('\t').enumerate() {
            if j > 0 {
                out.push_str("<w:tab/>");
            }
            if !part.is_empty() {
                out.push_str("<w:t xml:space=\"preserve\">");
                out.push_str(&esc(part));
                out.push_str("</w:t>");
            }
        }
    }
    out.push_str("</w:r>");
    out
}

/// A paragraph of `style` (`None`: Normal) holding the runs `runs` (already XML).
pub fn para(style: Option<&str>, runs: &str) -> String {
    match style {
        Some(s) => format!("<w:p><w:pPr><w:pStyle w:val=\"{s}\"/></w:pPr>{runs}</w:p>"),
        None => format!("<w:p>{runs}</w:p>"),
    }
}

/// A paragraph "Label: value" with the label in bold.
pub fn labelled(label: &str, value: &str) -> String {
    para(
        None,
        &format!("{}{}", run(&format!("{label}: "), true), run(value, false)),
    )
}

/// The document body being written, and what it links to.
pub struct Doc {
    zip: ZipWriter<Cursor<Vec<u8>>>,
    buf: String,
    links: Vec<String>,
}

fn options() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)
}

impl Doc {
    /// Starts a document; `title` goes into the package's core properties.
    pub fn new(title: &str, created: &str) -> ZipResult<Self> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content) in [
            ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
            ("_rels/.rels", PACKAGE_RELS.to_owned()),
            ("docProps/core.xml", core(title, created)),
            ("docProps/app.xml", APP.to_owned()),
            ("word/styles.xml", STYLES.to_owned()),
            ("word/settings.xml", SETTINGS.to_owned()),
        ] {
            zip.start_file(name, options())?;
            zip.write_all(content.as_bytes())?;
        }
        zip.start_file("word/document.xml", options())?;
        let mut doc = Self {
            zip,
            buf: String::with_capacity(FLUSH_AT + 4096),
            links: Vec::new(),
        };
        doc.push(&format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
             <w:document xmlns:w=\"{W_NS}\" xmlns:r=\"{R_NS}\"><w:body>"
        ))?;
        Ok(doc)
    }

    /// Appends body XML.
    pub fn push(&mut self, xml: &str) -> ZipResult<()> {
        self.buf.push_str(xml);
        if self.buf.len() >= FLUSH_AT {
            self.zip.write_all(self.buf.as_bytes())?;
            self.buf.clear();
        }
        Ok(())
    }

    /// A heading of `level` (1 to 3).
    pub fn heading(&mut self, level: u8, text: &str) -> ZipResult<()> {
        self.push(&para(Some(&format!("Heading{level}")), &run(text, false)))
    }

    /// A paragraph in `style` (`None`: Normal).
    pub fn text(&mut self, style: Option<&str>, text: &str) -> ZipResult<()> {
        self.push(&para(style, &run(text, false)))
    }

    /// A page break.
    pub fn page_break(&mut self) -> ZipResult<()> {
        self.push("<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>")
    }

    /// A run linking to `url` (http and https only; anything else is plain text).
    ///
    /// The relationship's target is the URL as the `url` crate writes it, and only when
    /// it parses with no syntax violation (`https://x/%zz`, `https://[`, spaces and the
    /// like are shown as text, without a hyperlink): Word refuses to open a document
    /// whose hyperlink target it cannot read.
    pub fn link(&mut self, url: &str) -> String {
        let Some(target) = link_target(url) else {
            return run(url, false);
        };
        self.links.push(target);
        format!(
            "<w:hyperlink r:id=\"rIdLink{}\"><w:r><w:rPr><w:rStyle w:val=\"Hyperlink\"/></w:rPr>\
             <w:t xml:space=\"preserve\">{}</w:t></w:r></w:hyperlink>",
            self.links.len(),
            esc(url)
        )
    }

    /// A table: `widths` of its columns in percent of the text width, its header row
    /// (repeated on every page) and rows of cells, each cell's content already XML
    /// (paragraphs).
    pub fn table<I>(&mut self, widths: &[u32], header: &[&str], rows: I) -> ZipResult<()>
    where
        I: IntoIterator<Item = Vec<String>>,
    {
        let twips: Vec<u32> = widths.iter().map(|w| TEXT_WIDTH * w / 100).collect();
        let mut xml = String::from(
            "<w:tbl><w:tblPr><w:tblStyle w:val=\"ReportTable\"/><w:tblW w:w=\"5000\" w:type=\"pct\"/>\
             <w:tblLayout w:type=\"fixed\"/><w:tblLook w:val=\"0420\" w:firstRow=\"1\" w:lastRow=\"0\" \
             w:firstColumn=\"0\" w:lastColumn=\"0\" w:noHBand=\"1\" w:noVBand=\"1\"/></w:tblPr><w:tblGrid>",
        );
        for w in &twips {
            xml.push_str(&format!("<w:gridCol w:w=\"{w}\"/>"));
        }
        xml.push_str("</w:tblGrid><w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>");
        for (title, w) in header.iter().zip(&twips) {
            xml.push_str(&format!(
                "<w:tc><w:tcPr><w:tcW w:w=\"{w}\" w:type=\"dxa\"/>\
                 <w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"1F4E78\"/></w:tcPr>{}</w:tc>",
                para(Some("TableHeading"), &run(title, false))
            ));
        }
        xml.push_str("</w:tr>");
        self.push(&xml)?;
        for cells in rows {
            let mut xml = String::from("<w:tr>");
            for (content, w) in cells.iter().zip(&twips) {
                let content = if content.is_empty() {
                    "<w:p/>"
                } else {
                    content
                };
                xml.push_str(&format!(
                    "<w:tc><w:tcPr><w:tcW w:w=\"{w}\" w:type=\"dxa\"/></w:tcPr>{content}</w:tc>"
                ));
            }
            xml.push_str("</w:tr>");
            self.push(&xml)?;
        }
        // A paragraph after every table keeps two tables from merging.
        self.push("</w:tbl><w:p/>")
    }

    /// Ends the document with its section (A4, header and footer) and writes the
    /// remaining parts; the bytes of the package.
    pub fn finish(mut self, header: &[String]) -> ZipResult<Vec<u8>> {
        self.push(
            "<w:sectPr><w:headerReference w:type=\"default\" r:id=\"rIdHeader\"/>\
             <w:footerReference w:type=\"default\" r:id=\"rIdFooter\"/>\
             <w:pgSz w:w=\"11906\" w:h=\"16838\"/>\
             <w:pgMar w:top=\"1134\" w:right=\"1134\" w:bottom=\"1134\" w:left=\"1134\" \
             w:header=\"567\" w:footer=\"567\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>",
        )?;
        self.zip.write_all(self.buf.as_bytes())?;
        self.buf = String::new();

        let mut rels = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
             <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
             <Relationship Id=\"rIdStyles\" Type=\"{R_NS}/styles\" Target=\"styles.xml\"/>\
             <Relationship Id=\"rIdSettings\" Type=\"{R_NS}/settings\" Target=\"settings.xml\"/>\
             <Relationship Id=\"rIdHeader\" Type=\"{R_NS}/header\" Target=\"header1.xml\"/>\
             <Relationship Id=\"rIdFooter\" Type=\"{R_NS}/footer\" Target=\"footer1.xml\"/>"
        );
        for (i, url) in self.links.iter().enumerate() {
            rels.push_str(&format!(
                "<Relationship Id=\"rIdLink{}\" Type=\"{REL_HYPERLINK}\" Target=\"{}\" TargetMode=\"External\"/>",
                i + 1,
                esc(url)
            ));
        }
        rels.push_str("</Relationships>");
        let header_xml: String = header
            .iter()
            .map(|line| para(Some("Header"), &run(line, true)))
            .collect();
        let footer_xml = para(
            Some("Footer"),
            &format!(
                "{}<w:fldSimple w:instr=\" PAGE \"><w:r><w:t>1</w:t></w:r></w:fldSimple>{}\
                 <w:fldSimple w:instr=\" NUMPAGES \"><w:r><w:t>1</w:t></w:r></w:fldSimple>",
                run("Page ", false),
                run(" of ", false)
            ),
        );
        for (name, content) in [
            ("word/_rels/document.xml.rels", rels),
            (
                "word/header1.xml",
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
                     <w:hdr xmlns:w=\"{W_NS}\" xmlns:r=\"{R_NS}\">{header_xml}</w:hdr>"
                ),
            ),
            (
                "word/footer1.xml",
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
                     <w:ftr xmlns:w=\"{W_NS}\" xmlns:r=\"{R_NS}\">{footer_xml}</w:ftr>"
                ),
            ),
        ] {
            self.zip.start_file(name, options())?;
            self.zip.write_all(content.as_bytes())?;
        }
        Ok(self.zip.finish()?.into_inner())
    }
}

fn core(title: &str, created: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
         <dc:title>{}</dc:title><dc:creator>Work Plan Tracker</dc:creator>\
         <dcterms:created xsi:type=\"dcterms:W3CDTF\">{created}</dcterms:created>\
         </cp:coreProperties>",
        esc(title)
    )
}

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
<Override PartName=\"/word/settings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/>\
<Override PartName=\"/word/header1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml\"/>\
<Override PartName=\"/word/footer1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/>\
<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
<Override PartName=\"/docProps/app.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>\
</Types>";

const PACKAGE_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" Target=\"docProps/app.xml\"/>\
</Relationships>";

const APP: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\">\
<Application>Work Plan Tracker</Application></Properties>";

const SETTINGS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<w:settings xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
<w:defaultTabStop w:val=\"720\"/><w:characterSpacingControl w:val=\"doNotCompress\"/>\
<w:compat><w:compatSetting w:name=\"compatibilityMode\" w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/></w:compat>\
</w:settings>";

const STYLES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<w:styles xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii=\"Calibri\" w:hAnsi=\"Calibri\" w:eastAsia=\"Calibri\" w:cs=\"Calibri\"/>\
<w:sz w:val=\"21\"/><w:szCs w:val=\"21\"/><w:lang w:val=\"en-GB\"/></w:rPr></w:rPrDefault>\
<w:pPrDefault><w:pPr><w:spacing w:after=\"100\" w:line=\"259\" w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>\
<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name w:val=\"Title\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/>\
<w:pPr><w:spacing w:before=\"1200\" w:after=\"360\"/></w:pPr><w:rPr><w:b/><w:color w:val=\"1F4E78\"/><w:sz w:val=\"48\"/><w:szCs w:val=\"48\"/></w:rPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Heading1\"><w:name w:val=\"heading 1\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/>\
<w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before=\"360\" w:after=\"160\"/><w:outlineLvl w:val=\"0\"/></w:pPr>\
<w:rPr><w:b/><w:color w:val=\"1F4E78\"/><w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/></w:rPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Heading2\"><w:name w:val=\"heading 2\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/>\
<w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before=\"240\" w:after=\"120\"/><w:outlineLvl w:val=\"1\"/></w:pPr>\
<w:rPr><w:b/><w:color w:val=\"1F4E78\"/><w:sz w:val=\"26\"/><w:szCs w:val=\"26\"/></w:rPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Heading3\"><w:name w:val=\"heading 3\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/>\
<w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before=\"200\" w:after=\"80\"/><w:outlineLvl w:val=\"2\"/></w:pPr>\
<w:rPr><w:b/><w:sz w:val=\"23\"/><w:szCs w:val=\"23\"/></w:rPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Header\"><w:name w:val=\"header\"/><w:basedOn w:val=\"Normal\"/>\
<w:pPr><w:spacing w:after=\"0\"/></w:pPr><w:rPr><w:color w:val=\"C00000\"/><w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/></w:rPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Footer\"><w:name w:val=\"footer\"/><w:basedOn w:val=\"Normal\"/>\
<w:pPr><w:jc w:val=\"center\"/><w:spacing w:after=\"0\"/></w:pPr><w:rPr><w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/></w:rPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"TableHeading\"><w:name w:val=\"Table Heading\"/><w:basedOn w:val=\"Normal\"/>\
<w:pPr><w:keepNext/><w:spacing w:before=\"40\" w:after=\"40\"/></w:pPr><w:rPr><w:b/><w:color w:val=\"FFFFFF\"/><w:sz w:val=\"19\"/><w:szCs w:val=\"19\"/></w:rPr></w:style>\
<w:style w:type=\"character\" w:default=\"1\" w:styleId=\"DefaultParagraphFont\"><w:name w:val=\"Default Paragraph Font\"/><w:uiPriority w:val=\"1\"/><w:semiHidden/></w:style>\
<w:style w:type=\"character\" w:styleId=\"Hyperlink\"><w:name w:val=\"Hyperlink\"/><w:basedOn w:val=\"DefaultParagraphFont\"/>\
<w:rPr><w:color w:val=\"0563C1\"/><w:u w:val=\"single\"/></w:rPr></w:style>\
<w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\"><w:name w:val=\"Normal Table\"/><w:semiHidden/>\
<w:tblPr><w:tblInd w:w=\"0\" w:type=\"dxa\"/><w:tblCellMar><w:top w:w=\"0\" w:type=\"dxa\"/><w:left w:w=\"108\" w:type=\"dxa\"/>\
<w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style>\
<w:style w:type=\"table\" w:styleId=\"ReportTable\"><w:name w:val=\"Report Table\"/><w:basedOn w:val=\"TableNormal\"/>\
<w:pPr><w:spacing w:before=\"40\" w:after=\"40\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr><w:rPr><w:sz w:val=\"19\"/><w:szCs w:val=\"19\"/></w:rPr>\
<w:tblPr><w:tblBorders><w:top w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"A6A6A6\"/>\
<w:left w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"A6A6A6\"/><w:bottom w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"A6A6A6\"/>\
<w:right w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"A6A6A6\"/><w:insideH w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"A6A6A6\"/>\
<w:insideV w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"A6A6A6\"/></w:tblBorders></w:tblPr></w:style>\
</w:styles>";

/// The hyperlink target of `text`: an http or https URL that parses without any syntax
/// violation, as the `url` crate serializes it; `None` for anything else.
fn link_target(text: &str) -> Option<String> {
    let violated = std::cell::Cell::new(false);
    let parsed = url::Url::options()
        .syntax_violation_callback(Some(&|_| violated.set(true)))
        .parse(text)
        .ok()?;
    if violated.get()
        || !matches!(parsed.scheme(), "http" | "https")
        || parsed.host_str().is_none_or(str::is_empty)
    {
        return None;
    }
    Some(parsed.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_characters_xml_cannot_carry_are_dropped() {
        assert_eq!(
            esc("<b>&\"x\"\u{0}\u{1b}\t</b>"),
            "&lt;b&gt;&amp;&quot;x&quot;\t&lt;/b&gt;"
        );
        assert_eq!(
            run("a\nb\tc", false),
            "<w:r><w:t xml:space=\"preserve\">a</w:t><w:br/><w:t xml:space=\"preserve\">b</w:t>\
             <w:tab/><w:t xml:space=\"preserve\">c</w:t></w:r>"
        );
    }
}
