//! The demo store: a shop page with deliberately hostile global CSS that embeds `<refund-widget>`
//! the way a merchant would, to show the store's styles cannot break it, and to document the
//! snippet to copy. `/?order=DEMO-1001&lang=en` opens one demo order through a signed link;
//! without `order` the widget asks for the order number and email.

use axum::extract::{Query, State};
use axum::response::Html;
use chrono::TimeDelta;
use serde::Deserialize;

use crate::auth::{Claims, TokenKind, sign};
use crate::error::ApiError;
use crate::routes::AppState;
use crate::seed::{DEMO_PUBLISHABLE_KEY, demo_order_numbers};

#[derive(Deserialize)]
pub struct DemoQuery {
    order: Option<String>,
    lang: Option<String>,
}

/// The demo's product pictures: a drawing per product, so the demo needs no image files.
pub async fn demo_picture(
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    let drawing = match name.as_str() {
        "tee.svg" => {
            r##"<path d="M22 14l10 4 10-4 12 8-5 9-5-3v24H20V28l-5 3-5-9z" fill="#f4f4f0" stroke="#8a8a80" stroke-width="2"/>"##
        }
        "coat.svg" => {
            r##"<path d="M24 10h16l12 8v36H12V18z" fill="#8d9196" stroke="#55595e" stroke-width="2"/><path d="M32 14v40" stroke="#55595e" stroke-width="2"/>"##
        }
        _ => return Err(refund_api::Problem::NotFound.into()),
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "image/svg+xml"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="8" fill="#e8edf2"/>{drawing}</svg>"##
        ),
    ))
}

pub async fn demo_store(
    State(state): State<AppState>,
    Query(query): Query<DemoQuery>,
) -> Result<Html<String>, ApiError> {
    let merchant = state
        .service
        .merchant_by_publishable_key(DEMO_PUBLISHABLE_KEY)
        .await?
        .ok_or(refund_api::Problem::NotFound)?;
    let lang = match query.lang.as_deref() {
        Some(tag) if tag.starts_with("zh") => "zh-CN",
        Some(_) => "en",
        None => "",
    };
    let known = query
        .order
        .as_deref()
        .filter(|n| demo_order_numbers().contains(n));
    let token = known.map(|number| {
        sign(
            &merchant.signing_secret,
            &Claims {
                kind: TokenKind::Link,
                m: merchant.id.clone(),
                o: number.to_owned(),
                exp: (state.service.now() + TimeDelta::days(1)).timestamp(),
            },
        )
    });
    let links: String = demo_order_numbers()
        .iter()
        .map(|n| {
            let current = if Some(*n) == known {
                " aria-current=\"page\""
            } else {
                ""
            };
            let lang_param = if lang.is_empty() {
                String::new()
            } else {
                format!("&lang={lang}")
            };
            format!("<li><a href=\"/?order={n}{lang_param}\"{current}>{n}</a></li>")
        })
        .collect();
    let mut attributes = format!("merchant=\"{DEMO_PUBLISHABLE_KEY}\"");
    if let Some(token) = &token {
        attributes.push_str(&format!(" order-token=\"{token}\""));
    }
    if !lang.is_empty() {
        attributes.push_str(&format!(" lang=\"{lang}\""));
    }
    Ok(Html(
        DEMO_PAGE
            .replace("{{links}}", &links)
            .replace("{{attributes}}", &attributes)
            .replace("{{origin}}", &state.settings.public_url),
    ))
}

const DEMO_PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo Store · 演示商店</title>
<script type="module" src="/widget/refund-widget.js"></script>
<style>
  /* A store theme at its worst: global, !important, everywhere. None of it reaches the widget. */
  * { font-family: "Comic Sans MS", "Courier New", cursive !important; color: #b00020 !important;
      letter-spacing: 2px !important; text-transform: uppercase !important; box-sizing: content-box !important; }
  body { background: repeating-linear-gradient(45deg, #fffbe6, #fffbe6 20px, #ffe0ec 20px, #ffe0ec 40px) !important;
         margin: 0; font-size: 22px !important; line-height: 3 !important; }
  button, input, select, textarea { background: hotpink !important; border: 6px dashed lime !important;
         font-size: 30px !important; padding: 20px !important; width: 300px !important; }
  div, p, li, section, form, fieldset { margin: 18px !important; padding: 18px !important; border: 2px dotted purple !important; }
  ul { list-style: square !important; }
  h1 { font-size: 48px !important; transform: rotate(-2deg); }
  /* The merchant's theme for the widget: only these custom properties cross into it. */
  refund-widget { --refund-accent: #d4380d; --refund-radius: 14px; margin: 0 auto; max-width: 720px; }
  header, main, footer { display: block; padding: 12px; }
  pre { white-space: pre-wrap; word-break: break-all; background: #fff !important; font-size: 14px !important;
        text-transform: none !important; letter-spacing: 0 !important; line-height: 1.4 !important; }
  nav ul { display: flex; flex-wrap: wrap; gap: 8px; }
</style>
</head>
<body>
<header><h1>Demo Store 演示商店</h1>
<nav aria-label="Demo orders"><ul>{{links}}</ul></nav></header>
<main>
<refund-widget {{attributes}}></refund-widget>
<section aria-label="Events">
  <p>Events from the widget:</p>
  <pre id="events"></pre>
</section>
</main>
<footer>
<h2>Embed it in your store</h2>
<pre>&lt;script type="module" src="{{origin}}/widget/refund-widget.js"&gt;&lt;/script&gt;
&lt;refund-widget merchant="pk_live_…" order-token="…" lang="zh-CN"&gt;&lt;/refund-widget&gt;

Attributes: merchant (publishable key, required), order-token (signed link token; without it the
shopper looks the order up by number and email), lang (zh-CN or en; the browser's language when
absent), api-base (this server's origin by default).

Theme with CSS custom properties on the element: --refund-accent, --refund-accent-contrast,
--refund-bg, --refund-surface, --refund-fg, --refund-muted, --refund-border, --refund-danger,
--refund-ok, --refund-warn, --refund-ok-bg, --refund-warn-bg, --refund-danger-bg,
--refund-radius, --refund-font, --refund-font-size.

Events (bubbling, composed): refund-submitted {request_id, number, order_number, state, total, currency},
refund-status {request_id, number, order_number, state}.</pre>
</footer>
<script>
  const log = document.getElementById("events");
  for (const name of ["refund-submitted", "refund-status"]) {
    document.addEventListener(name, (e) => { log.textContent += name + " " + JSON.stringify(e.detail) + "\n"; });
  }
</script>
</body>
</html>
"#;
