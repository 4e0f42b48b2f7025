//! The activity list reads a page in ONE statement: the page, each row's area, bodies,
//! statuses (recorded or accepted, by the caller's lens) and overdue milestones, with
//! search, filters and keyset paging. Each row must read exactly as the activity does on
//! its own (`GET /activities/{id}`) through the same lens; the edges of paging and of
//! search text (LIKE's and the search engines' metacharacters, unicode) are checked on
//! both backends.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_db::activities::{ActivityFilter, Lens};
use wpt_domain::page::PageRequest;
use wpt_domain::{ActivitySort, ProgressStatus, Role};
use wpt_tests::{Caller, TestApp};

use super::viewer::world;

async fn create(app: &TestApp, sec: &Caller, plan: &str, body: Value) -> String {
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/work-plans/{plan}/activities"),
        )
        .bearer(&sec.token)
        .json(&body)
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    res.json()["id"].as_str().expect("id").to_owned()
}

async fn post(app: &TestApp, who: &Caller, path: &str, body: Value) {
    let res = app
        .request(Method::POST, path)
        .bearer(&who.token)
        .json(&body)
        .send()
        .await;
    assert!(res.status.is_success(), "{path}: {}", res.text());
}

/// Every page of `filter` two rows at a time, each page read in exactly one statement;
/// the rows as JSON.
async fn walk(app: &TestApp, filter: &ActivityFilter) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..50 {
        let page = PageRequest::parse(Some(2), cursor.as_deref()).expect("page");
        let (listed, statements) = app
            .count_statements(wpt_db::activities::list_from_database(
                app.database(),
                filter,
                &page,
            ))
            .await;
        let listed = listed.expect("list");
        assert_eq!(statements, 1, "one statement per page: {filter:?}");
        assert!(listed.items.len() <= 2);
        rows.extend(
            listed
                .items
                .iter()
                .map(|a| serde_json::to_value(a).expect("json")),
        );
        match listed.next_cursor {
            Some(c) => cursor = Some(c),
            None => return rows,
        }
    }
    panic!("more pages than rows: {filter:?}");
}

fn codes(rows: &[Value]) -> Vec<&str> {
    rows.iter()
        .map(|a| a["code"].as_str().expect("code"))
        .collect()
}

#[tokio::test]
async fn a_page_is_one_statement_and_each_row_reads_as_the_activity_does_through_its_lens() {
    let app = TestApp::spawn().await;
    // DGICM's report accepted (on track, 55%) and a later unaccepted update (delayed);
    // AICHR's report a draft.
    let w = world(&app).await;
    let sec = app.caller(Role::Secretariat, None).await;
    let somtc = app.caller(Role::Officer, Some("SOMTC")).await;
    let mut ids = vec![w.activity.clone()];
    for n in 0..4 {
        let id = create(&app, &sec, &w.plan, json!({"area": if n % 2 == 0 { "A" } else { "B" }, "code": format!("L.{n}"), "title": format!("Listed outreach {n}"), "planned_end": "2020-01-01", "lead_body": "SOMTC", "cooperating_bodies": ["DGICM", "ACW"]})).await;
        if n < 2 {
            post(
                &app,
                &somtc,
                &format!("/api/v1/activities/{id}/progress"),
                json!({"status": "delayed", "narrative": "x"}),
            )
            .await;
        }
        if n == 1 {
            post(
                &app,
                &sec,
                &format!("/api/v1/activities/{id}/milestones"),
                json!({"title": "late", "due_on": "2021-01-01"}),
            )
            .await;
        }
        ids.push(id);
    }

    let base = |lens: Lens| ActivityFilter {
        work_plan: Some(w.plan.parse().expect("uuid")),
        lens,
        ..ActivityFilter::default()
    };
    for (lens, token) in [
        (Lens::Recorded, sec.token.clone()),
        (Lens::Accepted, w.viewer.token.clone()),
    ] {
        let filters = [
            base(lens),
            ActivityFilter {
                body: Some("DGICM".into()),
                ..base(lens)
            },
            ActivityFilter {
                body: Some("DGICM".into()),
                status: Some(ProgressStatus::Delayed),
                ..base(lens)
            },
            ActivityFilter {
                status: Some(ProgressStatus::OnTrack),
                ..base(lens)
            },
            ActivityFilter {
                q: Some("outreach".into()),
                body: Some("SOMTC".into()),
                ..base(lens)
            },
            ActivityFilter {
                area: Some("B".into()),
                overdue: Some(true),
                ..base(lens)
            },
            ActivityFilter {
                milestones_overdue: Some(true),
                sort: Some(ActivitySort::Title),
                ..base(lens)
            },
            ActivityFilter {
                sort: Some(ActivitySort::PlannedEnd),
                ..base(lens)
            },
            ActivityFilter {
                sort: Some(ActivitySort::LastUpdate),
                ..base(lens)
            },
        ];
        let mut seen = Vec::new();
        for filter in &filters {
            let rows = walk(&app, filter).await;
            for row in &rows {
                let id = row["id"].as_str().expect("id");
                let single = app
                    .get_as(&token, &format!("/api/v1/activities/{id}"))
                    .await;
                single.assert_status(StatusCode::OK);
                assert_eq!(row, &single.json(), "{lens:?} {filter:?}");
            }
            seen.push(codes(&rows).join(" "));
        }
        let listed = |i: usize| seen[i].split(' ').collect::<Vec<_>>();
        assert_eq!(listed(0), ["L.0", "L.1", "L.2", "L.3", "V.a.1"]);
        assert_eq!(listed(1), ["L.0", "L.1", "L.2", "L.3", "V.a.1"]);
        match lens {
            // What was recorded: DGICM's later update.
            Lens::Recorded => {
                assert_eq!(listed(2), ["V.a.1"]);
                assert_eq!(seen[3], "");
                // Not finished: L.1 (delayed), L.3 (nothing reported).
                assert_eq!(listed(5), ["L.1", "L.3"]);
            }
            // Viewers: only what was accepted, so no filter may find the later update.
            Lens::Accepted => {
                assert_eq!(seen[2], "");
                assert_eq!(listed(3), ["V.a.1"]);
                assert_eq!(listed(5), ["L.1", "L.3"]);
            }
        }
        assert_eq!(listed(4), ["L.0", "L.1", "L.2", "L.3"]);
        assert_eq!(listed(6), ["L.1"]);
        assert_eq!(listed(7), ["L.0", "L.1", "L.2", "L.3", "V.a.1"]);
    }
    // The API's `milestones_overdue` filter is the same filter (the pages' "Milestones
    // overdue"): only L.1 has a milestone past its due day; `false` is everything else.
    for (wanted, expected) in [
        ("true", vec!["L.1"]),
        ("false", vec!["L.0", "L.2", "L.3", "V.a.1"]),
    ] {
        let res = app
            .get_as(
                &sec.token,
                &format!(
                    "/api/v1/activities?work_plan={}&milestones_overdue={wanted}",
                    w.plan
                ),
            )
            .await;
        res.assert_status(StatusCode::OK);
        let body = res.json();
        let listed: Vec<&str> = body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|a| a["code"].as_str().expect("code"))
            .collect();
        assert_eq!(listed, expected, "milestones_overdue={wanted}");
    }
    // The viewer's row: DGICM's accepted status with its cycle, nothing recorded.
    let rows = walk(
        &app,
        &ActivityFilter {
            status: Some(ProgressStatus::OnTrack),
            ..base(Lens::Accepted)
        },
    )
    .await;
    let dgicm = &rows[0]["bodies"][0];
    assert_eq!(dgicm["body"], "DGICM");
    assert_eq!(dgicm["accepted"]["status"], "on_track");
    assert_eq!(dgicm["accepted"]["cycle_name"], "Viewer cycle");
    assert!(dgicm["latest_status"].is_null() && dgicm["latest_percent"].is_null());
    assert!(rows[0]["last_progress_at"].is_null());
}

#[tokio::test]
async fn empty_and_last_pages_and_search_text_with_metacharacters_and_unicode() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let plan = wpt_domain::reference_id("work_plan", "MSWP-TIP-2023-2028").to_string();
    for n in 0..3 {
        create(&app, &sec, &plan, json!({"area": "A", "code": format!("E.{n}"), "title": format!("Edgeword item {n}"), "lead_body": "DGICM"})).await;
    }
    create(&app, &sec, &plan, json!({"area": "B", "code": "M.1", "title": "Reach 100%_\\ of officers", "description": "50% done_so far", "lead_body": "ACW"})).await;
    create(&app, &sec, &plan, json!({"area": "C", "code": "U.1", "title": "Phòng chống buôn bán người", "description": "Hội thảo khu vực", "lead_body": "SOMTC"})).await;
    let list = |query: &str| {
        let app = &app;
        let url = format!("/api/v1/activities?{query}");
        async move {
            let res = app.get(&url).await;
            res.assert_status(StatusCode::OK);
            res.json()
        }
    };
    let q = |text: &str| serde_urlencoded::to_string([("q", text)]).expect("query");
    let page_codes = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|a| a["code"].as_str().expect("code").to_owned())
            .collect()
    };

    // A last page exactly full has no cursor; one row more makes a second page of one.
    let full = list(&format!("{}&limit=3&sort=code", q("edgeword"))).await;
    assert_eq!(page_codes(&full), ["E.0", "E.1", "E.2"]);
    assert!(full["next_cursor"].is_null(), "{full}");
    let first = list(&format!("{}&limit=2&sort=code", q("edgeword"))).await;
    assert_eq!(page_codes(&first), ["E.0", "E.1"]);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let last = list(&format!(
        "{}&limit=2&sort=code&cursor={cursor}",
        q("edgeword")
    ))
    .await;
    assert_eq!(page_codes(&last), ["E.2"]);
    assert!(last["next_cursor"].is_null());

    // Empty pages: a body, a status or words that match nothing.
    for query in [
        "body=NO-SUCH-BODY".to_owned(),
        "body=ACW&status=completed".to_owned(),
        q("nothingmatchesthis"),
        q("edgeword nothingmatchesthis"),
    ] {
        let page = list(&query).await;
        assert_eq!(page["items"], json!([]), "{query}");
        assert!(page["next_cursor"].is_null(), "{query}");
    }

    // LIKE's wildcards, its escape and the engines' syntax are not patterns: alone they
    // are no words at all (nothing matches, never everything); beside words, only text.
    for text in ["%", "_", "\\", "%_\\", "*", "\"", "%%", "_%"] {
        let page = list(&q(text)).await;
        assert_eq!(page["items"], json!([]), "{text:?}");
    }
    for text in ["100%", "%100", "100_", "\\100", "100\\", "officers%"] {
        assert_eq!(page_codes(&list(&q(text)).await), ["M.1"], "{text:?}");
    }
    assert_eq!(
        page_codes(&list(&q("edge%word")).await),
        Vec::<String>::new()
    );
    assert_eq!(
        page_codes(&list(&format!("{}&sort=code", q("%edgeword_"))).await),
        ["E.0", "E.1", "E.2"]
    );

    // Unicode words, as typed and upper-cased, and beside a filter.
    for text in ["chống", "người", "Hội thảo", "CHỐNG"] {
        assert_eq!(page_codes(&list(&q(text)).await), ["U.1"], "{text:?}");
    }
    assert_eq!(
        page_codes(&list(&format!("{}&body=SOMTC", q("người"))).await),
        ["U.1"]
    );
    assert_eq!(
        page_codes(&list(&format!("{}&body=ACW", q("người"))).await),
        Vec::<String>::new()
    );
}
