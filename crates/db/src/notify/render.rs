//! The text and HTML of an e-mail, rendered from a [`Notice`](super::Notice) for one
//! recipient: the message, the link, why the person got it and where to change that.
//! English, short lines, one column (readable in a phone mail client).

use super::{MailConfig, Notice};

/// Why a person gets a message, said at its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// It is about them or something they did.
    Personal,
    /// They are an officer (focal point) of the body with this code.
    Officer(String),
    /// They are a member of the secretariat.
    Secretariat,
    /// Someone gave this address to the tracker (an invitation, a reset).
    Address,
}

/// A rendered e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

/// The subject prefix of every message.
pub const PREFIX: &str = "[ASEAN TIP Work Plan Tracker]";

/// Renders `notice` for a recipient called `name` (may be empty).
pub fn message(cfg: &MailConfig, notice: &Notice, name: &str, why: &Why) -> Message {
    let link = cfg.absolute(&notice.link);
    let greeting = if name.trim().is_empty() {
        "Hello,".to_owned()
    } else {
        format!("Hello {},", name.trim())
    };
    let reason = match why {
        Why::Personal => "You received this message because it concerns your account or \
                          something you did in the tracker."
            .to_owned(),
        Why::Officer(code) => format!(
            "You received this message because you are a focal point (officer) of {code} \
             in the tracker."
        ),
        Why::Secretariat => "You received this message because you are a member of the \
                             SOMTC secretariat in the tracker."
            .to_owned(),
        Why::Address => "You received this message because this address was given to the \
                         tracker. If you did not expect it, you can ignore it."
            .to_owned(),
    };
    let setting = if notice.kind.is_security() {
        "This is a security message: it is sent whatever your e-mail setting.".to_owned()
    } else {
        format!(
            "To choose whether you get these by e-mail (at once, once a day, or not at all), \
             go to {}.",
            cfg.absolute("/ui/account")
        )
    };
    let text = format!(
        "{greeting}\n\n{}\n\nOpen: {link}\n\n-- \n{reason}\n{setting}\n",
        notice.text.trim()
    );
    let paragraphs: String = notice
        .text
        .trim()
        .split("\n\n")
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
        .collect();
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head>\
         <body style=\"font-family: sans-serif; font-size: 16px; line-height: 1.5; \
         max-width: 36em; margin: 0 auto; padding: 1em; color: #1a1a1a;\">\
         <p>{greeting}</p>{paragraphs}\
         <p><a href=\"{href}\" style=\"display: inline-block; padding: 0.6em 1em; \
         background: #1d4ed8; color: #ffffff; text-decoration: none; border-radius: 4px;\">\
         Open in the tracker</a></p>\
         <p style=\"font-size: 14px; word-break: break-all;\">{href}</p>\
         <hr><p style=\"font-size: 13px; color: #555555;\">{reason}<br>{setting_html}</p>\
         </body></html>",
        title = escape(&notice.subject),
        greeting = escape(&greeting),
        href = escape(&link),
        reason = escape(&reason),
        setting_html = escape(&setting),
    );
    Message {
        subject: format!("{PREFIX} {}", notice.subject),
        text,
        html,
    }
}

/// One line of a daily digest.
#[derive(Debug, Clone)]
pub struct DigestLine {
    /// The notice's subject (without the prefix).
    pub title: String,
}

/// The daily digest of `lines` (the queued messages' subjects and texts).
pub fn digest(cfg: &MailConfig, name: &str, lines: &[DigestLine]) -> Message {
    let list: Vec<String> = lines.iter().map(|l| format!("- {}", l.title)).collect();
    let body = format!(
        "Since your last summary:\n{}\n\nEach one is in your notifications in the tracker.",
        list.join("\n")
    );
    let notice = Notice {
        kind: wpt_domain::NoticeKind::Digest,
        to: super::Recipients::Secretariat,
        subject: format!("Your daily summary: {} notice(s)", lines.len()),
        text: body,
        link: "/ui/notifications".to_owned(),
        dedupe_key: None,
    };
    message(cfg, &notice, name, &Why::Personal)
}

/// HTML-escapes `s`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
