// searchsvc's drop-in widget. One tag on any page turns that page's own search input into
// instant search against this service:
//
//   <script src="https://search.example.com/widget.js" data-input="#q" defer></script>
//
// data-input: a CSS selector for the input (default "#q"); data-results: how many hits the
// panel shows (1-10, default 5). The service must allow the page's origin
// (SEARCHSVC_CORS_ORIGINS). The widget loads its stylesheet (widget.css, restyled through
// its custom properties) and dom.js from the service, then shows the suggestions of
// /api/suggest as a combobox and the first hits of /api/search in a panel under the
// input, with a link to every result on the service's search page. Article text is only
// inserted as text; highlights' <mark> elements are built by dom.js, never with innerHTML.
(function () {
  "use strict";

  const script = document.currentScript;
  if (!script) return;
  const service = new URL(script.src, window.location.href);
  const base = service.origin + service.pathname.replace(/widget\.js$/, "");
  const selector = script.dataset.input || "#q";
  const shown = Math.min(10, Math.max(1, parseInt(script.dataset.results || "5", 10) || 5));
  const TYPING_DELAY_MS = 150;

  function load(tag, attributes) {
    return new Promise((resolve, reject) => {
      const node = document.createElement(tag);
      Object.assign(node, attributes);
      node.addEventListener("load", resolve);
      node.addEventListener("error", () => reject(new Error(`searchsvc widget: ${attributes.src || attributes.href} did not load`)));
      document.head.append(node);
    });
  }

  function el(tag, className, ...children) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    node.append(...children);
    return node;
  }

  function start(input) {
    const { combobox, markedText } = window.searchsvcDom;
    const id = `searchsvc-${Math.random().toString(36).slice(2, 8)}`;
    const panel = el("div", "searchsvc-panel");
    panel.id = id;
    panel.hidden = true;
    const listbox = el("ul", "searchsvc-suggestions");
    listbox.id = `${id}-suggestions`;
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-label", "Suggestions");
    listbox.hidden = true;
    const hits = el("div", "searchsvc-results");
    hits.setAttribute("aria-live", "polite");
    panel.append(listbox, hits);
    document.body.append(panel);

    input.setAttribute("autocomplete", "off");

    let seq = 0;
    let abort = null;
    let timer = 0;

    function place() {
      const box = input.getBoundingClientRect();
      panel.style.left = `${box.left + window.scrollX}px`;
      panel.style.top = `${box.bottom + window.scrollY + 2}px`;
      panel.style.width = `${Math.max(box.width, 320)}px`;
    }

    function open(yes) {
      panel.hidden = !yes;
      if (yes) place();
    }

    function renderHits(data) {
      if (!data.hits.length) {
        hits.replaceChildren(el("p", "searchsvc-empty", data.suggestion
          ? `No results. Did you mean “${data.suggestion}”?` : "No results."));
        return;
      }
      const list = el("ol", "searchsvc-hits");
      for (const hit of data.hits) {
        const link = el("a", "searchsvc-hit-title", markedText(hit.highlights.title || hit.title));
        link.href = hit.url || `${base}api/articles/${encodeURIComponent(hit.slug)}`;
        const meta = el("span", "searchsvc-hit-meta", [hit.published_at, hit.category].filter(Boolean).join(" · "));
        list.append(el("li", "searchsvc-hit", link, meta,
          el("span", "searchsvc-hit-passage", markedText(hit.highlights.body || ""))));
      }
      const all = el("a", "searchsvc-all", `All ${data.total.toLocaleString("en")} results`);
      all.href = `${base}search?${new URLSearchParams({ q: data.query })}`;
      hits.replaceChildren(list, all);
    }

    async function search() {
      const q = input.value;
      const mine = ++seq;
      if (abort) abort.abort();
      if (!q.trim()) {
        hits.replaceChildren();
        open(false);
        return;
      }
      abort = new AbortController();
      const params = new URLSearchParams({ q, per_page: String(shown), facets: "" });
      try {
        const response = await fetch(`${base}api/search?${params}`, { signal: abort.signal, headers: { Accept: "application/json" } });
        const body = await response.json();
        if (mine !== seq) return; // stale: the reader typed on
        if (!response.ok) {
          hits.replaceChildren(el("p", "searchsvc-error", body.error ? body.error.message : "The search failed."));
        } else {
          renderHits(body);
        }
        open(document.activeElement === input);
      } catch (error) {
        if (error.name === "AbortError" || mine !== seq) return;
        hits.replaceChildren(el("p", "searchsvc-error", "The search service did not answer."));
        open(document.activeElement === input);
      }
    }

    input.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, TYPING_DELAY_MS);
    });
    input.addEventListener("focus", () => { if (hits.childElementCount) open(true); });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && listbox.hidden) open(false);
    });
    document.addEventListener("click", (event) => {
      if (event.target !== input && !panel.contains(event.target)) open(false);
    });
    window.addEventListener("resize", () => { if (!panel.hidden) place(); });
    // the listbox lives in the panel: the panel must be open to show it
    new MutationObserver(() => { if (!listbox.hidden) open(true); })
      .observe(listbox, { attributes: true, attributeFilter: ["hidden"] });
    combobox(input, listbox, {
      url: (q) => `${base}api/suggest?${new URLSearchParams({ q, limit: "6" })}`,
      choose: (suggestion) => {
        input.value = suggestion.text;
        window.clearTimeout(timer);
        search();
        input.focus();
      },
    });
  }

  function ready() {
    const input = document.querySelector(selector);
    if (!input) {
      console.warn(`searchsvc widget: no element matches data-input="${selector}"`);
      return;
    }
    load("link", { rel: "stylesheet", href: `${base}assets/widget.css` }).catch((error) => console.warn(error.message));
    const dom = window.searchsvcDom ? Promise.resolve() : load("script", { src: `${base}assets/dom.js` });
    dom.then(() => start(input), (error) => console.warn(error.message));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
