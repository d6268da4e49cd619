// <refund-widget>: registers the element and fetches the widget's wasm only once an element is
// on the page and near the viewport. The build stamps the hashed glue file name into GLUE.
// Attributes: merchant (publishable key), order-token, lang (zh-CN | en), api-base.
// Events (bubbling, composed): refund-submitted, refund-status; see README "Embed the widget".
const GLUE = "__GLUE__";
let engine;
let attempt = 0;
export function load() {
  // A failed import stays cached under its URL, so a retry asks under a new one.
  const url = new URL(GLUE + (attempt ? "?retry=" + attempt : ""), import.meta.url);
  return (engine ||= import(url).then(async (m) => {
    await m.default({ module_or_path: new URL(GLUE.replace(/\.js$/, "_bg.wasm"), import.meta.url) });
    return m;
  }).catch((e) => {
    engine = undefined;
    attempt += 1;
    throw e;
  }));
}
const sheets = new Map();
// Styles are adopted, not inlined, so a strict Content-Security-Policy does not block them.
function style(root, css) {
  if (root.adoptedStyleSheets !== undefined && "replaceSync" in CSSStyleSheet.prototype) {
    let sheet = sheets.get(css);
    if (!sheet) sheets.set(css, (sheet = new CSSStyleSheet())), sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } else {
    const el = document.createElement("style");
    el.textContent = css;
    root.prepend(el);
  }
}
const PLACEHOLDER = ":host{display:block}p{font:15px/1.5 system-ui,sans-serif;color:#59636e;text-align:center;padding:24px 0;margin:0}";
class RefundWidget extends HTMLElement {
  static observedAttributes = ["lang", "merchant", "order-token", "api-base"];
  connectedCallback() {
    if (!this.shadowRoot) this.attachShadow({ mode: "open" });
    if (this.widget || this.waiting) return;
    this.placeholder();
    this.waiting = true;
    const start = () => { this.waiting = false; if (this.isConnected) this.start(); };
    if (!("IntersectionObserver" in window)) return start();
    const seen = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        seen.disconnect();
        start();
      }
    }, { rootMargin: "400px" });
    seen.observe(this);
  }
  disconnectedCallback() {
    // Moving the element fires disconnect then connect; only a real removal unmounts.
    queueMicrotask(() => { if (!this.isConnected) this.stop(); });
  }
  get cn() {
    const lang = this.getAttribute("lang") || (navigator.languages || [navigator.language])[0] || "";
    return lang.toLowerCase().startsWith("zh");
  }
  placeholder(failed) {
    const root = this.shadowRoot;
    style(root, PLACEHOLDER);
    const p = document.createElement("p");
    p.setAttribute("role", failed ? "alert" : "status");
    p.textContent = failed
      ? (this.cn ? "退款组件加载失败。" : "The refund form could not load. ")
      : (this.cn ? "正在加载退款组件…" : "Loading the refund form…");
    if (failed) {
      const b = document.createElement("button");
      b.textContent = this.cn ? "重试" : "Try again";
      b.onclick = () => { this.placeholder(); this.start(); };
      p.append(b);
    }
    root.replaceChildren(p);
  }
  async start() {
    try {
      const m = await load();
      if (!this.isConnected || this.widget) return;
      const root = this.shadowRoot;
      const box = document.createElement("div");
      root.replaceChildren(box);
      style(root, m.widget_css());
      const api = this.getAttribute("api-base") || new URL(import.meta.url).origin;
      this.widget = m.mount(box, this, this.getAttribute("merchant") || "", this.getAttribute("order-token"), this.getAttribute("lang"), api);
    } catch (e) {
      console.error("refund-widget:", e);
      this.placeholder(true);
    }
  }
  stop() {
    if (this.widget) {
      this.widget.unmount();
      this.widget.free();
      this.widget = null;
    }
  }
  attributeChangedCallback(name, old, value) {
    if (!this.widget || old === value) return;
    if (name === "lang") {
      if (value) this.widget.set_lang(value);
    } else {
      // Another order, merchant or server: start afresh.
      this.stop();
      this.placeholder();
      this.start();
    }
  }
}
if (!customElements.get("refund-widget")) customElements.define("refund-widget", RefundWidget);
