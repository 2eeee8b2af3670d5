//! `GET /metrics`: counters in the Prometheus text format (prometheus-client, the Prometheus
//! project's Rust client).
//!
//! Every request is counted by its route template (`/api/v1/license-keys/{licenseKey}`, never
//! the raw path: a path can carry a license key), method and status, and its latency goes into
//! a histogram per route template. The request path costs a read-locked map lookup and a few
//! atomic adds; the seats gauge is read from the store only when the metrics are scraped.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The labels of `licet_http_requests_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: &'static str,
    status: u16,
}

/// The labels of `licet_http_request_duration_seconds`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// The labels of `licet_licenses_minted_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MintLabels {
    route: &'static str,
}

/// Latency buckets, in seconds: 0.5 ms to 10 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    rate_limited: Counter,
    minted: Family<MintLabels, Counter>,
    seats_in_use: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The method as a label: the standard ones by name, any other as `OTHER` (a client choosing
/// methods at will must not grow the label set).
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

impl Metrics {
    /// Metrics at zero.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "licet_http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "licet_http_request_duration_seconds",
            "Time from the request to its response, by route template",
            latency.clone(),
        );
        let rate_limited = Counter::default();
        registry.register(
            "licet_rate_limited_requests",
            "Requests answered 429 by the rate limiter of the /license/* routes",
            rate_limited.clone(),
        );
        let minted = Family::<MintLabels, Counter>::default();
        registry.register(
            "licet_licenses_minted",
            "Seat license files signed, by the route that minted them",
            minted.clone(),
        );
        let seats_in_use = Gauge::default();
        registry.register(
            "licet_seats_in_use",
            "Seats taken across every license key, read from the database at scrape time",
            seats_in_use.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            rate_limited,
            minted,
            seats_in_use,
        }
    }

    /// Counts one answered request.
    pub fn observe_request(
        &self,
        route: &str,
        method: &axum::http::Method,
        status: u16,
        elapsed: std::time::Duration,
    ) {
        let labels = RequestLabels {
            route: route.to_owned(),
            method: method_label(method),
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: labels.route,
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Counts one request refused by the rate limiter.
    pub fn rate_limited(&self) {
        self.rate_limited.inc();
    }

    /// Counts one license file signed by `route` (`/license/activate`, `/license/validate`).
    pub fn minted(&self, route: &'static str) {
        self.minted.get_or_create(&MintLabels { route }).inc();
    }

    /// The text exposition, with the seats gauge set to `seats_in_use`.
    pub fn encode(&self, seats_in_use: i64) -> Result<String, std::fmt::Error> {
        self.seats_in_use.set(seats_in_use);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_names_templates_and_counts() {
        let metrics = Metrics::new();
        let get = axum::http::Method::GET;
        let odd = axum::http::Method::from_bytes(b"BREW").unwrap();
        metrics.observe_request("/healthz", &get, 200, std::time::Duration::from_millis(2));
        metrics.observe_request("/healthz", &odd, 405, std::time::Duration::from_millis(2));
        metrics.rate_limited();
        metrics.minted("/license/activate");
        let text = metrics.encode(7).unwrap();
        assert!(
            text.contains(
                r#"licet_http_requests_total{route="/healthz",method="GET",status="200"} 1"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"method="OTHER",status="405"} 1"#), "{text}");
        assert!(
            text.contains("licet_http_request_duration_seconds_bucket"),
            "{text}"
        );
        assert!(
            text.contains("licet_rate_limited_requests_total 1"),
            "{text}"
        );
        assert!(
            text.contains(r#"licet_licenses_minted_total{route="/license/activate"} 1"#),
            "{text}"
        );
        assert!(text.contains("licet_seats_in_use 7"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
