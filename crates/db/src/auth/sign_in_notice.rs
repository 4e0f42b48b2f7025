//! The security message "new sign-in to an administrator account" (issue 17): written
//! with the login's own write, to the administrator who signed in, in the inbox and (when
//! mail is on) by e-mail whatever the person's e-mail setting (a security kind).

use std::net::IpAddr;

use chrono::Utc;
use uuid::Uuid;
use wpt_domain::{NoticeKind, Role};

use crate::Write;
use crate::notify::{Notice, Recipients};

/// The longest user agent quoted in the message (characters).
const MAX_AGENT: usize = 200;

/// Asks `txn` to tell `account` that it just signed in from `client` (with `user_agent`,
/// `via` "api" or "web"), when its `role` is administrator; nothing for anyone else.
pub(crate) fn tell_administrator(
    txn: &mut Write,
    account: Uuid,
    role: Role,
    client: IpAddr,
    user_agent: Option<&str>,
    via: &str,
) {
    if role != Role::Admin {
        return;
    }
    txn.notify(notice(account, client, user_agent, via, Utc::now()));
}

/// The notice for a sign-in of `account` at `at`.
fn notice(
    account: Uuid,
    client: IpAddr,
    user_agent: Option<&str>,
    via: &str,
    at: chrono::DateTime<Utc>,
) -> Notice {
    let how = if via == "web" {
        "the web pages"
    } else {
        "the API"
    };
    let agent = user_agent
        .map(clean_agent)
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "not given".to_owned());
    let text = format!(
        "Someone signed in to your administrator account through {how}.\n\n\
         Time: {}\nClient address: {client}\nBrowser or program: {agent}\n\n\
         If this was you, there is nothing to do. If it was not, change your password at \
         once and end the sessions you do not recognise on your account page.",
        at.format("%Y-%m-%d %H:%M:%S UTC"),
    );
    Notice {
        kind: NoticeKind::AdminSignIn,
        to: Recipients::User(account),
        subject: "New sign-in to your administrator account".to_owned(),
        text,
        link: "/ui/account#sessions".to_owned(),
        dedupe_key: None,
    }
}

/// `agent` on one line, without control characters, at most [`MAX_AGENT`] characters.
fn clean_agent(agent: &str) -> String {
    let one_line: String = agent
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = one_line.split_whitespace().collect::<Vec<_>>().join(" ");
    if trimmed.chars().count() > MAX_AGENT {
        let mut cut: String = trimmed.chars().take(MAX_AGENT).collect();
        cut.push('…');
        cut
    } else {
        trimmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_says_when_where_and_with_what() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-02T09:30:05Z")
            .expect("a time")
            .with_timezone(&Utc);
        let id = Uuid::nil();
        let n = notice(
            id,
            "203.0.113.9".parse().expect("an address"),
            Some("Mozilla/5.0\r\nX-Injected: yes"),
            "web",
            at,
        );
        assert_eq!(n.kind, NoticeKind::AdminSignIn);
        assert_eq!(n.to, Recipients::User(id));
        assert!(n.text.contains("2026-12-02 09:30:05 UTC"), "{}", n.text);
        assert!(n.text.contains("203.0.113.9"));
        assert!(n.text.contains("Mozilla/5.0 X-Injected: yes"));
        assert!(n.text.contains("the web pages"));
        let n = notice(id, "::1".parse().expect("an address"), None, "api", at);
        assert!(n.text.contains("Browser or program: not given"));
        assert_eq!(clean_agent(&"a".repeat(500)).chars().count(), MAX_AGENT + 1);
    }
}
