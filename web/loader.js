// <refund-widget>: registers the element and fetches the widget's wasm only once an element is
// on the page and near the viewport. The build stamps the hashed glue file name into GLUE.
// Attributes: merchant (publishable key), order-token, lang (zh-CN | en), api-base.
// Events (bubbling, composed): refund-submitted, refund-status; see README "Embedding".
const GLUE = "__GLUE__";
let engine;
export function load() {
  return (engine ||= import(new URL(GLUE, import.meta.url)).then(async (m) => {
    await m.default({ module_or_path: new URL(GLUE.replace(/\.js$/, "_bg.wasm"), import.meta.url) });
    return m;
  }));
}
const zh = () => (navigator.language || "").toLowerCase().startsWith("zh");
class RefundWidget extends HTMLElement {
  static observedAttributes = ["lang"];
  connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: "open" });
    const lang = this.getAttribute("lang");
    const cn = lang ? lang.toLowerCase().startsWith("zh") : zh();
    root.innerHTML = `<style>:host{display:block}p{font:15px/1.5 system-ui,sans-serif;color:#59636e;text-align:center;padding:24px 0;margin:0}</style><p role="status">${cn ? "正在加载退款组件…" : "Loading the refund form…"}</p>`;
    const start = () => this.start(root, cn);
    if (!("IntersectionObserver" in window)) return start();
    const seen = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        seen.disconnect();
        start();
      }
    }, { rootMargin: "400px" });
    seen.observe(this);
  }
  async start(root, cn) {
    try {
      const m = await load();
      const box = document.createElement("div");
      root.replaceChildren(box);
      const api = this.getAttribute("api-base") || new URL(import.meta.url).origin;
      this.widget = m.mount(box, this, this.getAttribute("merchant") || "", this.getAttribute("order-token"), this.getAttribute("lang"), api);
    } catch (e) {
      console.error("refund-widget:", e);
      const p = root.querySelector("p");
      p.textContent = cn ? "退款组件加载失败。" : "The refund form could not load. ";
      const b = document.createElement("button");
      b.textContent = cn ? "重试" : "Try again";
      b.onclick = () => { engine = undefined; this.start(root, cn); };
      p.append(b);
    }
  }
  attributeChangedCallback(name, old, value) {
    if (this.widget && value) this.widget.set_lang(value);
  }
}
if (!customElements.get("refund-widget")) customElements.define("refund-widget", RefundWidget);
