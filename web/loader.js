// <refund-widget>: registers the element and fetches the widget's wasm only once an element is
// on the page and near the viewport. The build stamps the hashed glue file name into GLUE.
// Attributes: merchant (publishable key), order-token, lang (zh-CN | en), api-base.
// Events (bubbling, composed): refund-submitted, refund-status; see README "Embed the widget".
const GLUE = "__GLUE__";
let engine;
let attempt = 0;
export function load() {
  // A failed import stays cached under its URL, so a retry asks under a new one. The wasm
  // downloads beside the glue, not after it.
  const url = new URL(GLUE + (attempt ? "?retry=" + attempt : ""), import.meta.url);
  const wasm = new URL(GLUE.replace(/\.js$/, "_bg.wasm"), import.meta.url);
  return (engine ||= Promise.all([import(url), fetch(wasm)]).then(async ([m, code]) => {
    await m.default({ module_or_path: code });
    return m;
  }).catch((e) => {
    engine = undefined;
    attempt += 1;
    throw e;
  }));
}
const sheets = new Map();
// Styles are adopted, not inlined, so a strict Content-Security-Policy does not block them.
function style(root, ...css) {
  if (root.adoptedStyleSheets !== undefined && "replaceSync" in CSSStyleSheet.prototype) {
    root.adoptedStyleSheets = css.map((text) => {
      let sheet = sheets.get(text);
      if (!sheet) sheets.set(text, (sheet = new CSSStyleSheet())), sheet.replaceSync(text);
      return sheet;
    });
  } else {
    root.querySelectorAll("style").forEach((el) => el.remove());
    // In the given order, as the adopted sheets are: later rules win ties.
    root.prepend(...css.map((text) => {
      const el = document.createElement("style");
      el.textContent = text;
      return el;
    }));
  }
}
// The skeleton: the widget's shape in the store's own colours (the same custom properties the
// widget reads), drawn the moment the element appears and kept until the first real screen.
const V = (name, fallback) => `var(--refund-${name},${fallback})`;
const SKELETON = `:host{display:block}.s{max-width:44rem;margin:0 auto;padding:12px;background:${V("bg", "#fff")}}` +
  `.c{background:${V("surface", "#f6f7f9")};border:1px solid ${V("border", "#d5d9de")};border-radius:${V("radius", "10px")};padding:14px;margin-bottom:12px}` +
  `.b{height:14px;margin:12px 0;border-radius:7px;background:${V("border", "#d5d9de")};animation:p 1.4s ease-in-out infinite}` +
  `.t{height:22px;width:45%;margin:8px 0 20px}.f{height:44px}.w{width:62%}.n{width:30%}` +
  `.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}p{font:15px/1.5 system-ui,sans-serif;color:#59636e;text-align:center;padding:24px 0;margin:0}` +
  `@keyframes p{50%{opacity:.45}}@media (prefers-reduced-motion:reduce){.b{animation:none}}`;
// An order opened from a link has its form's shape; without one the widget first asks for the
// order number and e-mail.
const card = (...bars) => `<div class="c">${bars.map((b) => `<div class="b ${b}"></div>`).join("")}</div>`;
const ORDER = card("n", "w") + card("n", "f", "f", "f") + card("n", "f") + card("n", "w", "f", "w", "f");
const LOOKUP = card("w", "n", "f", "n", "f", "f");
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
    style(root, SKELETON);
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
      return root.replaceChildren(p);
    }
    p.className = "sr";
    const s = document.createElement("div");
    s.className = "s";
    s.setAttribute("aria-hidden", "true");
    s.innerHTML = `<div class="b t"></div>` + (this.hasAttribute("order-token") ? ORDER : LOOKUP);
    root.replaceChildren(p, s);
  }
  async start() {
    try {
      const m = await load();
      if (!this.isConnected || this.widget) return;
      const root = this.shadowRoot;
      const box = document.createElement("div");
      box.hidden = true;
      root.append(box);
      const css = m.widget_css();
      style(root, SKELETON, css);
      // The skeleton stays until the widget draws its first real screen (its loading line,
      // `.rw-booting`, is gone), so the shopper sees one swap, not skeleton, spinner, form.
      const shown = () => {
        if (!box.firstElementChild || box.querySelector(".rw-booting")) return false;
        watch.disconnect();
        box.hidden = false;
        root.replaceChildren(box);
        style(root, css);
        return true;
      };
      const watch = new MutationObserver(shown);
      watch.observe(box, { childList: true, subtree: true });
      const api = this.getAttribute("api-base") || new URL(import.meta.url).origin;
      this.widget = m.mount(box, this, this.getAttribute("merchant") || "", this.getAttribute("order-token"), this.getAttribute("lang"), api);
      shown();
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
