//! Prometheus metrics at `GET /metrics`: requests by route and status, latency
//! histograms, database pool use and failed logins.
//!
//! Kept by hand with a mutex-guarded map: a few dozen routes and a handful of statuses
//! make a small map, and one short lock per request costs less than the JSON it
//! serializes. The endpoint is served only when `WPT_METRICS_TOKEN` is set, and only to
//! a client presenting it, so it never leaks operational detail on the public port.
//!
//! Every request is recorded whether metrics are served or not, so nothing a client
//! sends may become a label: the method is one of the standard ones or `other` (hyper
//! accepts any token as a method, tens of kilobytes long), the route is the matched
//! pattern or `unmatched`, and past [`MAX_ROUTES`] routes new ones count as `other`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Most routes with series of their own; the application has about a hundred.
pub const MAX_ROUTES: usize = 256;

/// The route label of requests past [`MAX_ROUTES`].
const OTHER_ROUTE: &str = "other";

/// The method as a label: the standard methods by name, any other token `other`.
pub fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        _ => "other",
    }
}

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// The series of one route.
#[derive(Default)]
struct RouteSeries {
    requests: BTreeMap<(&'static str, u16), u64>,
    latency: BTreeMap<&'static str, Histogram>,
}

/// The registry.
#[derive(Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<String, RouteSeries>>,
    login_failures: AtomicU64,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics(..)")
    }
}

impl Metrics {
    /// Records one served request; `route` is a matched pattern (or `unmatched`), never
    /// a raw path.
    pub fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let method = method_label(method);
        let secs = elapsed.as_secs_f64();
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        let route = if routes.contains_key(route) || routes.len() < MAX_ROUTES {
            route
        } else {
            OTHER_ROUTE
        };
        if !routes.contains_key(route) {
            routes.insert(route.to_owned(), RouteSeries::default());
        }
        let Some(series) = routes.get_mut(route) else {
            return;
        };
        *series.requests.entry((method, status)).or_insert(0) += 1;
        let h = series.latency.entry(method).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }

    /// Counts a failed login.
    pub fn login_failed(&self) {
        self.login_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition, with the pool's `(open, idle)` connections.
    pub fn render(&self, pool: (u32, usize)) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP wpt_http_requests_total Requests served, by method, route and status."
        );
        let _ = writeln!(out, "# TYPE wpt_http_requests_total counter");
        let routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        for (route, series) in routes.iter() {
            for ((method, status), n) in &series.requests {
                let _ = writeln!(
                    out,
                    "wpt_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP wpt_http_request_duration_seconds Time to serve a request, by method and route."
        );
        let _ = writeln!(out, "# TYPE wpt_http_request_duration_seconds histogram");
        for (method, route, h) in routes
            .iter()
            .flat_map(|(route, s)| s.latency.iter().map(move |(m, h)| (m, route, h)))
        {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "wpt_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "wpt_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "wpt_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "wpt_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        drop(routes);
        let _ = writeln!(
            out,
            "# HELP wpt_login_failures_total Failed logins since start."
        );
        let _ = writeln!(out, "# TYPE wpt_login_failures_total counter");
        let _ = writeln!(
            out,
            "wpt_login_failures_total {}",
            self.login_failures.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP wpt_db_pool_connections Database pool connections by state."
        );
        let _ = writeln!(out, "# TYPE wpt_db_pool_connections gauge");
        let (open, idle) = pool;
        let idle = u32::try_from(idle).unwrap_or(u32::MAX);
        let _ = writeln!(out, "wpt_db_pool_connections{{state=\"idle\"}} {idle}");
        let _ = writeln!(
            out,
            "wpt_db_pool_connections{{state=\"in_use\"}} {}",
            open.saturating_sub(idle)
        );
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_land_in_their_buckets_and_the_text_is_prometheus() {
        let m = Metrics::default();
        m.record("GET", "/api/v1/bodies", 200, Duration::from_millis(7));
        m.record("GET", "/api/v1/bodies", 200, Duration::from_millis(300));
        m.login_failed();
        let text = m.render((3, 1));
        assert!(text.contains(
            "wpt_http_requests_total{method=\"GET\",route=\"/api/v1/bodies\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.005\"} 0"));
        assert!(text.contains("le=\"0.01\"} 1"));
        assert!(text.contains("le=\"0.5\"} 2"));
        assert!(text.contains("wpt_login_failures_total 1"));
        assert!(text.contains("wpt_db_pool_connections{state=\"in_use\"} 2"));
    }

    fn series(m: &Metrics) -> usize {
        m.render((0, 0))
            .lines()
            .filter(|l| l.starts_with("wpt_http_requests_total{"))
            .count()
    }

    #[test]
    fn made_up_methods_are_one_series_and_the_registry_is_bounded() {
        let m = Metrics::default();
        for i in 0..1000 {
            let method = format!("M{i}{}", "X".repeat(1000));
            m.record(&method, "/api/v1/bodies", 405, Duration::from_millis(1));
        }
        m.record("get", "/api/v1/bodies", 405, Duration::from_millis(1));
        assert_eq!(series(&m), 1, "{}", m.render((0, 0)));
        assert!(m.render((0, 0)).contains(
            "wpt_http_requests_total{method=\"other\",route=\"/api/v1/bodies\",status=\"405\"} 1001"
        ));
        // Routes are matched patterns, a few dozen; even if something passed raw paths,
        // the registry stops growing.
        for i in 0..10_000 {
            m.record("GET", &format!("/raw/{i}"), 200, Duration::from_millis(1));
        }
        assert!(series(&m) <= MAX_ROUTES + 1, "{} series", series(&m));
    }
}
