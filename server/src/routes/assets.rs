//! The widget's and the refund desk's built files, and the standalone refund page.
//!
//! Files under `/widget/` come from the widget's build directory. Names carrying a content hash
//! (`refund-widget-3f9a0c2d1b7e4a55.wasm`) never change, so browsers may keep them for a year;
//! anything else (the loader script) is revalidated on every load so a new release reaches
//! shoppers at once. Responses are brotli- or gzip-compressed: from `.br`/`.gz` siblings written at
//! build time when present, on the fly otherwise.

use std::path::Path;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{Html, Response};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;

pub fn router<S: Clone + Send + Sync + 'static>(
    widget_dir: &Path,
    console_dir: &Path,
) -> Router<S> {
    let files = |dir: &Path| ServeDir::new(dir).precompressed_br().precompressed_gzip();
    Router::new()
        .nest_service("/widget", files(widget_dir))
        .nest_service("/console", files(console_dir))
        .route("/refund", get(refund_page))
        .layer(axum::middleware::from_fn(cache_control))
        .layer(CompressionLayer::new())
}

/// Whether a file name carries a content hash: a run of at least 8 hex digits after a `-` or `.`.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.split('.').next().unwrap_or(name);
    name.split(['-', '.', '_'])
        .chain(stem.rsplit('-').take(1))
        .any(|part| part.len() >= 8 && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn cache_control(request: Request, next: Next) -> Response {
    let hashed = is_hashed(request.uri().path());
    let mut response = next.run(request).await;
    let value = if hashed && response.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

/// A page of its own for stores that link out instead of embedding: it reads the merchant key,
/// order token and language from its query string and hands them to the widget.
async fn refund_page() -> Html<&'static str> {
    Html(REFUND_PAGE)
}

const REFUND_PAGE: &str = r#"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>退款申请 · Refund request</title>
<style>
  body { margin: 0; font-family: system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; background: #f6f7f9; }
  main { max-width: 640px; margin: 0 auto; padding: 16px; }
  .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
</style>
<script type="module" src="/widget/refund-widget.js"></script>
</head>
<body>
<main id="root"><h1 class="sr">退款申请 · Refund request</h1><p id="loading">加载中… Loading…</p></main>
<script type="module">
  const params = new URLSearchParams(location.search);
  const widget = document.createElement("refund-widget");
  for (const [param, attribute] of [["merchant", "merchant"], ["token", "order-token"], ["lang", "lang"]]) {
    const value = params.get(param);
    if (value) widget.setAttribute(attribute, value);
  }
  widget.setAttribute("api-base", location.origin);
  document.getElementById("loading").remove();
  document.getElementById("root").append(widget);
</script>
</body>
</html>
"#;

#[cfg(test)]
mod tests {
    use super::{REFUND_PAGE, is_hashed};

    #[test]
    fn the_standalone_refund_page_has_a_main_heading() {
        assert!(
            REFUND_PAGE.contains("<h1"),
            "a page without an h1 fails axe's page-has-heading-one"
        );
    }

    #[test]
    fn hashed_file_names_are_told_apart_from_stable_ones() {
        assert!(is_hashed("/widget/refund-widget-3f9a0c2d1b7e4a55.wasm"));
        assert!(is_hashed("/widget/refund_widget-3f9a0c2d1b7e4a55_bg.wasm"));
        assert!(is_hashed("/widget/app.3f9a0c2d.js"));
        assert!(!is_hashed("/widget/refund-widget.js"));
        assert!(!is_hashed("/refund"));
    }
}
