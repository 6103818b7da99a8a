// The search page, instant: results as the reader types, facets without a reload, the
// suggestion dropdown as an ARIA combobox, and the URL kept in step (History API).
// Without this script the page is a plain GET form that the server renders.
//
// Safety: article text is only ever inserted as text (textContent, text nodes); the
// highlights' <mark> elements are built here from the API's markup (escaped text and
// <mark> only), never through innerHTML.

(function () {
"use strict";
const { combobox, markedText } = window.searchsvcDom; // dom.js, loaded first

const form = document.getElementById("search-form");
const input = document.getElementById("q");
const results = document.getElementById("results");
const facetsBox = document.getElementById("facets");
const articleTemplate = document.body.dataset.articleUrl || "/api/articles/{slug}";
const FACETS = [
  ["tags", "tag", "Tags"],
  ["category", "category", "Category"],
  ["tickers", "ticker", "Companies"],
  ["author", "author", "Author"],
  ["year", "year", "Year"],
];
const TYPING_DELAY_MS = 120;
let searchSeq = 0;
let searchAbort = null;
let typingTimer = 0;

document.documentElement.classList.add("js");

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

const DEFAULTS = { sort: "relevance" }; // left out of the URL, as the server reads them

function formParams() {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    if (String(value).trim() !== "" && DEFAULTS[name] !== value) params.append(name, value);
  }
  return params;
}

function pageUrl(params) {
  const query = params.toString();
  return query ? `/search?${query}` : "/search";
}

function articleUrl(hit) {
  return hit.url || articleTemplate.replace("{slug}", encodeURIComponent(hit.slug));
}

// --- searching ---------------------------------------------------------------------------

async function search(params, history) {
  const seq = ++searchSeq;
  if (searchAbort) searchAbort.abort();
  searchAbort = new AbortController();
  results.setAttribute("aria-busy", "true");
  if (history === "push") window.history.pushState(null, "", pageUrl(params));
  if (history === "replace") window.history.replaceState(null, "", pageUrl(params));
  try {
    const response = await fetch(`/api/search?${params}`, {
      signal: searchAbort.signal,
      headers: { Accept: "application/json" },
    });
    const body = await response.json();
    if (seq !== searchSeq) return; // a newer search was started: this answer is stale
    if (!response.ok) {
      showError(body.error ? body.error.message : `The search failed (${response.status}).`);
      return;
    }
    renderResults(body, params);
    renderFacets(body.facets, params);
    document.title = (body.query ? `${body.query} · ` : "") + document.title.split(" · ").pop();
  } catch (error) {
    if (error.name !== "AbortError" && seq === searchSeq) {
      showError("The search service did not answer. Try again.");
    }
  } finally {
    if (seq === searchSeq) results.setAttribute("aria-busy", "false");
  }
}

function showError(message) {
  results.replaceChildren(el("p", { class: "error", role: "alert" }, message));
}

function withParam(params, name, value) {
  const copy = new URLSearchParams(params);
  if (value === null) copy.delete(name);
  else copy.set(name, value);
  return copy;
}

// --- rendering (the same rules as the server's template, searchsvc/web/pageview.py) ---------

function renderResults(data, params) {
  const parts = [];
  const count = data.total
    ? `${data.total.toLocaleString("en")} ${data.total === 1 ? "result" : "results"}`
    : "No results";
  parts.push(
    el("p", { class: "status" }, count, data.query ? ` for “${data.query}”` : "", " ",
      el("span", { class: "took" }, `(${data.took_ms} ms)`)),
  );
  if (data.corrections.length) {
    const line = el("p", { class: "corrections" }, "Also searched: ");
    data.corrections.forEach((c, i) => {
      line.append(el("b", {}, c.to), " for ", el("i", {}, c.from), i < data.corrections.length - 1 ? ", " : "");
    });
    parts.push(line);
  }
  if (data.relaxed && data.dropped.length) {
    parts.push(el("p", { class: "relaxed" },
      `No article has every word; showing articles without: ${data.dropped.join(", ")}`));
  }
  if (data.suggestion) {
    const link = el("a", { href: pageUrl(withParam(withParam(params, "q", data.suggestion), "page", null)) },
      data.suggestion);
    link.addEventListener("click", (event) => {
      event.preventDefault();
      input.value = data.suggestion;
      search(withParam(formParams(), "page", null), "push");
    });
    parts.push(el("p", { class: "suggestion" }, "Did you mean ", link, "?"));
  }
  if (data.hits.length) {
    const first = (data.page - 1) * data.per_page + 1;
    parts.push(el("ol", { class: "hits", start: first }, ...data.hits.map(renderHit)));
  } else {
    parts.push(renderEmpty(data, params));
  }
  const pages = renderPages(data, params);
  if (pages) parts.push(pages);
  results.replaceChildren(...parts);
}

function renderHit(hit) {
  const meta = el("p", { class: "hit-meta" });
  if (hit.published_at) meta.append(el("time", { datetime: hit.published_at }, hit.published_at));
  if (hit.published_at && hit.category) meta.append(" · ");
  if (hit.category) meta.append(el("span", { class: "hit-category" }, hit.category));
  const item = el("li", { class: "hit" },
    el("h2", { class: "hit-title" },
      el("a", { href: articleUrl(hit) }, markedText(hit.highlights.title || hit.title))),
    meta,
    el("p", { class: "hit-passage" }, markedText(hit.highlights.body || "")));
  if (hit.tickers.length) {
    item.append(el("ul", { class: "chips", "aria-label": "Companies" },
      ...hit.tickers.map((t) => el("li", { class: "chip", title: t.name }, t.symbol))));
  }
  return item;
}

function renderEmpty(data, params) {
  const filtered = FACETS.some(([, param]) => params.has(param)) || params.has("from") || params.has("to");
  const box = el("div", { class: "empty" },
    el("p", {}, "No articles match", data.query ? ` “${data.query}”` : "",
      filtered ? " with these filters" : "", "."));
  if (filtered) {
    const clear = new URLSearchParams(data.query ? { q: data.query } : {});
    box.append(el("p", {}, el("a", { class: "clear", href: pageUrl(clear) }, "Search without filters")));
  }
  box.append(el("p", { class: "tips" }, "Try fewer words, another spelling, or a company's ticker (NVDA)."));
  return box;
}

function renderPages(data, params) {
  const last = Math.max(1, Math.ceil(Math.min(data.total, 10000) / data.per_page));
  if (last === 1) return null;
  const page = data.page;
  const link = (number, label, rel) => {
    const target = withParam(params, "page", number === 1 ? null : String(number));
    return el("a", { href: pageUrl(target), rel, "data-page": number }, label);
  };
  const items = [];
  items.push(page > 1 ? link(page - 1, "Previous", "prev") : el("span", { class: "gap" }, "Previous"));
  const shown = [...new Set([1, last, ...Array.from({ length: 7 }, (_, i) => page - 3 + i)])]
    .filter((n) => n >= 1 && n <= last)
    .sort((a, b) => a - b);
  let before = 0;
  for (const number of shown) {
    if (number - before > 1) items.push(el("span", { class: "gap" }, "…"));
    items.push(number === page ? el("span", { "aria-current": "page" }, String(number)) : link(number, String(number)));
    before = number;
  }
  items.push(page < last ? link(page + 1, "Next", "next") : el("span", { class: "gap" }, "Next"));
  return el("nav", { class: "pagination", "aria-label": "Pages" },
    el("ul", {}, ...items.map((item) => el("li", {}, item))));
}

function renderFacets(facets, params) {
  const focused = document.activeElement;
  const refocus = focused && focused.type === "checkbox" ? [focused.name, focused.value] : null;
  const groups = [];
  for (const [name, param, title] of FACETS) {
    if (!facets[name]) continue;
    const ticked = params.getAll(param);
    const folded = new Set(ticked.map((v) => v.toLowerCase()));
    const options = facets[name].map((v) => ({
      value: String(v.value),
      label: v.label ? `${v.label} (${v.value})` : String(v.value),
      count: v.count,
    }));
    const listed = new Set(options.map((o) => o.value.toLowerCase()));
    for (const value of ticked) {
      if (!listed.has(value.toLowerCase())) options.push({ value, label: value, count: null });
    }
    if (!options.length) continue;
    const list = el("ul");
    for (const option of options) {
      const box = el("input", { type: "checkbox", name: param, value: option.value });
      box.checked = folded.has(option.value.toLowerCase());
      const label = el("label", {}, box, " ", el("span", { class: "facet-label" }, option.label));
      if (option.count !== null) label.append(" ", el("span", { class: "count" }, String(option.count)));
      list.append(el("li", {}, label));
    }
    groups.push(el("fieldset", { class: "facet", "data-param": param }, el("legend", {}, title), list));
  }
  facetsBox.replaceChildren(...groups);
  if (refocus) {
    for (const box of facetsBox.querySelectorAll("input[type=checkbox]")) {
      if (box.name === refocus[0] && box.value === refocus[1]) box.focus();
    }
  }
}

// --- state from the URL (back and forward) -----------------------------------------------

function restore(params) {
  input.value = params.get("q") || "";
  form.elements.sort.value = params.get("sort") || "relevance";
  form.elements.from.value = params.get("from") || "";
  form.elements.to.value = params.get("to") || "";
  for (const box of facetsBox.querySelectorAll("input[type=checkbox]")) {
    box.checked = params.getAll(box.name).some((v) => v.toLowerCase() === box.value.toLowerCase());
  }
}

window.addEventListener("popstate", () => {
  const params = new URLSearchParams(window.location.search);
  restore(params);
  search(params, null);
});

// --- events ------------------------------------------------------------------------------

input.addEventListener("input", () => {
  window.clearTimeout(typingTimer);
  // while typing, the URL follows the box without adding a history entry per letter
  typingTimer = window.setTimeout(() => search(formParams(), "replace"), TYPING_DELAY_MS);
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  window.clearTimeout(typingTimer);
  search(formParams(), "push");
});

form.addEventListener("change", (event) => {
  if (event.target === input) return; // the box searches on input, not on change
  search(formParams(), "push");
});

results.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-page]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  search(new URLSearchParams(new URL(link.href).search), "push");
  results.scrollIntoView({ block: "start" });
});

combobox(input, document.getElementById("suggestions"), {
  url: (q) => `/api/suggest?${new URLSearchParams({ q, limit: "8" })}`,
  choose: (suggestion) => {
    input.value = suggestion.text;
    window.clearTimeout(typingTimer);
    search(formParams(), "push");
  },
});
})();
