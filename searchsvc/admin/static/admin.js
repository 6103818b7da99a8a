// searchsvc admin page: plain DOM, no framework, no third-party code.
//
// The admin token is asked for once and kept in this tab's sessionStorage; every request
// sends it as `Authorization: Bearer …`; a 401 forgets it and asks again.
//
// Safety: every string that comes from the server (queries, slugs, terms, messages) is
// written with text nodes (`el()` below / textContent), never parsed as HTML.
"use strict";

(() => {
  const TOKEN_KEY = "searchsvc.admin.reindex.token";
  const $ = (id) => document.getElementById(id);

  // --- DOM helpers ------------------------------------------------------------------------

  /** An element; string children become text nodes (never HTML). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "onclick") node.addEventListener("click", value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of nodeList(children)) {
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  /** Nodes (nested arrays flattened, null/false dropped) for append/replaceChildren. */
  const nodeList = (items) =>
    [items].flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false);

  const code = (text) => el("code", null, text);
  const muted = (text) => el("span", { class: "muted" }, text);
  const empty = (text) => el("p", { class: "muted" }, text);

  /** A table; cells are strings/nodes, or {value, class} for a styled cell. */
  function table(caption, headers, rows, options = {}) {
    const head = el(
      "thead",
      null,
      el(
        "tr",
        null,
        headers.map((h) => el("th", { scope: "col", class: numericHeader(h) ? "num" : null }, h)),
      ),
    );
    const body = el(
      "tbody",
      null,
      rows.map((row) =>
        el(
          "tr",
          null,
          row.map((cell) =>
            cell !== null && typeof cell === "object" && !(cell instanceof Node) && !Array.isArray(cell)
              ? el("td", { class: cell.class || null }, cell.value)
              : el("td", null, cell),
          ),
        ),
      ),
    );
    return el(
      "table",
      { class: options.class || null },
      caption ? el("caption", null, caption) : null,
      head,
      body,
      options.foot || null,
    );
  }

  const NUMERIC = new Set([
    "tf", "df", "idf", "boost", "length / avg", "value", "terms", "postings", "tokens",
    "results", "ms", "searches", "avg results", "zero results", "articles", "rank",
  ]);
  const numericHeader = (h) => NUMERIC.has(String(h).toLowerCase());
  const num = (value) => ({ value, class: "num" });

  function fmt(x, digits = 3) {
    if (x === null || x === undefined) return "—";
    if (typeof x !== "number") return String(x);
    return Number.isInteger(x) ? String(x) : x.toFixed(digits);
  }

  function bytes(n) {
    if (typeof n !== "number") return "—";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i += 1;
    }
    return `${i ? n.toFixed(1) : n} ${units[i]}`;
  }

  const when = (iso) => (iso ? String(iso).replace("T", " ").replace("Z", " UTC") : "—");
  const plural = (n, one, many) => `${n} ${n === 1 ? one : many || one + "s"}`;

  /** A query as text: the empty query is "all articles". */
  const queryText = (q) => (q ? el("span", { class: "query" }, q) : muted("(empty: all articles)"));

  function definitions(pairs) {
    return el(
      "dl",
      { class: "facts" },
      pairs.map(([term, value]) => el("div", null, el("dt", null, term), el("dd", null, value))),
    );
  }

  // --- auth and requests ------------------------------------------------------------------

  class AuthError extends Error {}

  const token = () => sessionStorage.getItem(TOKEN_KEY);

  /** GET an admin JSON endpoint (relative to /admin/) with the bearer token. */
  async function api(path, params = []) {
    const sent = token();
    if (!sent) {
      signOut("Sign in to continue.");
      throw new AuthError("no token");
    }
    const url = new URL(path, document.baseURI);
    for (const [key, value] of params) {
      if (value !== null && value !== undefined && value !== "") url.searchParams.append(key, value);
    }
    let response;
    try {
      response = await fetch(url, {
        headers: { Authorization: `Bearer ${sent}`, Accept: "application/json" },
        cache: "no-store",
        credentials: "omit",
        referrerPolicy: "no-referrer",
      });
    } catch (error) {
      throw new Error(`the server did not answer (${error.message})`);
    }
    if (response.status === 401) {
      if (token() === sent) signOut("The admin token was not accepted (401). Enter it again.");
      throw new AuthError("401");
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!response.ok) {
      const error = body && body.error;
      throw new Error(
        error ? `${error.message} (${response.status} ${error.code})` : `HTTP ${response.status}`,
      );
    }
    return body;
  }

  /** Run a loader for one section: status text, stale answers dropped, errors shown. */
  const generations = new Map();
  async function load(section, work) {
    const mine = (generations.get(section) || 0) + 1;
    generations.set(section, mine);
    const status = $(`${section}-status`);
    status.className = "status";
    status.textContent = "Loading…";
    try {
      const nodes = await work();
      if (generations.get(section) !== mine) return;
      status.textContent = "";
      $(`${section}-result`).replaceChildren(...nodeList(nodes));
    } catch (error) {
      if (generations.get(section) !== mine) return;
      if (error instanceof AuthError) {
        status.textContent = "";
        return;
      }
      status.className = "status error";
      status.textContent = `Error: ${error.message}`;
      $(`${section}-result`).replaceChildren();
    }
  }

  function showApp() {
    $("signin").hidden = true;
    $("app").hidden = false;
    $("nav").hidden = false;
    $("signout").hidden = false;
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    for (const section of ["explain", "whynot", "stats", "queries"]) {
      generations.set(section, (generations.get(section) || 0) + 1); // drop answers in flight
      $(`${section}-result`).replaceChildren();
      $(`${section}-status`).textContent = "";
    }
    $("app").hidden = true;
    $("nav").hidden = true;
    $("signout").hidden = true;
    $("signin").hidden = false;
    $("signin-message").textContent = message || "";
    $("token").value = "";
    $("token").focus();
  }

  function signIn(event) {
    event.preventDefault();
    const value = $("token").value.trim();
    if (!/^[\x21-\x7e]+$/.test(value)) {
      $("signin-message").textContent =
        "A token is printable ASCII without spaces (that is all an HTTP header can carry).";
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, value);
    $("token").value = "";
    $("signin-message").textContent = "";
    showApp();
    loadStats();
    loadQueries();
  }

  // --- explain ----------------------------------------------------------------------------

  const splitValues = (text) =>
    text
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean);

  function searchParams() {
    const params = [
      ["q", $("q").value],
      ["match", $("match").value],
      ["sort", $("sort").value],
    ];
    for (const tag of splitValues($("tag").value)) params.push(["tag", tag]);
    for (const ticker of splitValues($("ticker").value)) params.push(["ticker", ticker]);
    return params;
  }

  function tokenNote(tok) {
    if (tok.term === null || tok.term === undefined) {
      return { value: `dropped: ${tok.dropped || (tok.stopword ? "stop word" : "?")}`, class: "muted" };
    }
    const notes = [];
    if (tok.stopword) notes.push("stop word (kept)");
    if (tok.filters && tok.filters.length) notes.push(tok.filters.join(", "));
    return { value: notes.join("; "), class: "muted" };
  }

  function renderTerms(terms) {
    if (!terms.length) return empty("No words to analyse (the query has none).");
    const rows = [];
    for (const row of terms) {
      const field = row.field || "all text fields";
      if (!row.tokens.length) {
        rows.push([row.written, field, "—", "—", "—", { value: "a company: see expansions", class: "muted" }]);
        continue;
      }
      for (const tok of row.tokens) {
        rows.push([
          row.written,
          field,
          code(tok.text),
          code(tok.normalized),
          tok.term === null || tok.term === undefined ? "—" : code(tok.term),
          tokenNote(tok),
        ]);
      }
    }
    return table("Term analysis: token → normalized → indexed term", [
      "Written", "Field", "Token", "Normalized", "Term", "Note",
    ], rows, { class: "terms" });
  }

  function expansionWhat(x) {
    switch (x.kind) {
      case "company": {
        const names = (x.companies || []).map((c) => `${c.symbol} (${c.name})`);
        return [
          code(x.written), " → ", names.length ? names.join(", ") : (x.symbols || []).join(", "),
          muted(` · ${plural(x.documents, "article")} with the ticker`),
        ];
      }
      case "prefix":
      case "completion":
        return [
          code(x.written), " → ",
          Object.entries(x.terms || {}).map(([field, terms], i) => [
            i ? "; " : "", el("strong", null, field), ": ", terms.length ? terms.join(", ") : "nothing",
          ]),
        ];
      case "relaxation":
        return ["dropped ", (x.dropped || []).map((d, i) => [i ? ", " : "", code(d)])];
      case "correction":
        return [
          code(x.written), " → ", code(x.searched),
          muted(` · ${plural(x.distance, "typo")} · ${plural(x.documents, "article")}`),
        ];
      case "synonym":
        return [
          code(x.written), " also ", (x.also || []).map((s, i) => [i ? ", " : "", code(s)]),
          muted(` · rule ${x.rule ? x.rule.line : "?"}: ${x.rule ? x.rule.text : ""}`),
        ];
      case "spelling":
        return ["did you mean ", code(x.suggestion), x.applied ? "" : muted(" (offered, not applied)")];
      default: {
        const rest = { ...x };
        delete rest.kind;
        delete rest.why;
        return code(JSON.stringify(rest));
      }
    }
  }

  function renderExpansions(expansions) {
    if (!expansions.length) return empty("No expansions: the query was searched as written.");
    return table(
      "Expansions",
      ["Kind", "What", "Why"],
      expansions.map((x) => [x.kind, expansionWhat(x), { value: x.why, class: "muted" }]),
    );
  }

  function renderFilters(filters) {
    if (!filters.length) return null;
    return table(
      "Filters",
      ["Filter", "Values", "Articles"],
      filters.map((f) => [f.filter, (f.values || []).join(", ") || "—", num(fmt(f.documents))]),
    );
  }

  function breakdownTable(hit) {
    const rows = (hit.breakdown || []).map((b) => [
      b.field,
      el("span", { title: `written: ${b.written}` }, code(b.term), b.kind === "ticker" ? muted(" ticker") : ""),
      num(fmt(b.tf)),
      num(fmt(b.df)),
      num(fmt(b.idf)),
      num(fmt(b.boost)),
      num(b.field_length === undefined ? "—" : `${fmt(b.field_length, 0)} / ${fmt(b.avg_field_length, 1)}`),
      num(fmt(b.value)),
    ]);
    const sum = fmt(hit.breakdown_sum);
    const score = fmt(hit.score);
    const foot = el(
      "tfoot",
      null,
      el(
        "tr",
        null,
        el("th", { scope: "row", colspan: 7 }, "Sum of values ", sum === score ? "= score" : `≠ score ${score}`),
        el("td", { class: "num breakdown-sum" }, sum),
      ),
    );
    return table(
      null,
      ["Field", "Term", "tf", "df", "idf", "boost", "length / avg", "value"],
      rows,
      { class: "breakdown", foot },
    );
  }

  function renderHit(hit) {
    return el(
      "article",
      { class: "hit", dataset: { slug: hit.slug } },
      el(
        "h4",
        null,
        el("span", { class: "rank" }, `#${hit.rank}`),
        " ",
        el("span", { class: "slug" }, hit.slug),
        " ",
        el("span", { class: "score" }, "score ", el("span", { class: "hit-score" }, fmt(hit.score))),
      ),
      breakdownTable(hit),
      (hit.factors || []).length
        ? el(
            "ul",
            { class: "factors" },
            hit.factors.map((f) => el("li", null, `${f.name}: × ${fmt(f.value)} — `, muted(f.why))),
          )
        : null,
    );
  }

  async function runExplain() {
    const data = await api("explain", searchParams());
    const hits = data.hits || [];
    return [
      el(
        "p",
        { class: "summary" },
        el("strong", { id: "explain-total" }, plural(data.total, "matching article")),
        muted(` · generation ${data.generation} · match=${data.match} · sort=${data.sort}`),
      ),
      definitions([
        ["Query", queryText(data.query)],
        ["Parsed", el("code", { id: "parsed-text" }, data.parsed.text)],
        ["Expanded", el("code", { id: "expanded-text" }, data.expanded.text)],
      ]),
      renderTerms(data.terms || []),
      renderExpansions(data.expansions || []),
      renderFilters(data.filters || []),
      el("h3", null, hits.length < data.total ? `Top ${hits.length} hits` : "Hits"),
      hits.length ? el("div", { id: "hits" }, hits.map(renderHit)) : empty("No hits."),
    ];
  }

  // --- why not ----------------------------------------------------------------------------

  function excludedItem(x) {
    const what = x.clause !== undefined ? code(x.clause) : x.filter !== undefined ? code(x.filter) : null;
    return el(
      "li",
      null,
      el("span", { class: "tag" }, x.kind),
      " ",
      what,
      what ? " — " : "",
      x.why,
      x.document_has ? muted(` (the article has: ${x.document_has.join(", ") || "nothing"})`) : "",
    );
  }

  async function runWhyNot() {
    const slug = $("whynot-slug").value.trim();
    const data = await api("explain", [...searchParams(), ["slug", slug], ["hits", "0"]]);
    const w = data.why_not;
    let verdict;
    if (!w.exists) verdict = el("strong", { class: "bad" }, "No article has this slug.");
    else if (w.matched) {
      verdict = el("strong", { class: "good" }, `Matches the query: rank ${w.rank} of ${data.total}.`);
    } else verdict = el("strong", { class: "bad" }, "Does not match the query.");
    const missing = w.missing_terms || [];
    let missingSection = null; // an article that does not exist misses nothing in particular
    if (w.exists) {
      missingSection = [
        el("h3", null, "Missing terms"),
        missing.length
          ? table(null, ["Written", "Term", "Looked in"], missing.map((m) => [
              m.written,
              m.term !== undefined ? code(m.term) : ["ticker ", code((m.ticker || []).join(", "))],
              m.fields ? m.fields.join(", ") : "the article's tickers",
            ]))
          : empty("None: the article has every term of the query."),
      ];
    }
    return [
      el("p", { class: "summary" }, el("span", { class: "slug" }, w.slug), " — ", verdict),
      definitions([["Query", queryText(data.query)], ["Expanded", code(data.expanded.text)]]),
      el("h3", null, "Excluded by"),
      (w.excluded_by || []).length
        ? el("ul", { id: "excluded-by", class: "reasons" }, w.excluded_by.map(excludedItem))
        : empty("Nothing excludes it."),
      missingSection,
      w.matched && w.breakdown ? [el("h3", null, "Score"), breakdownTable(w)] : null,
    ];
  }

  // --- stats ------------------------------------------------------------------------------

  function renderReport(report) {
    if (!report) return empty("No reindex has been reported yet.");
    const errors = report.errors || [];
    const stale = report.kept_stale || [];
    return [
      definitions([
        ["Finished", when(report.finished_at)],
        ["Took", `${fmt(report.seconds, 2)} s`],
        ["Kind", report.full ? `full (${report.full_reason || "asked for"})` : "incremental"],
        [
          "Changes",
          `${report.added} added · ${report.updated} updated · ${report.deleted} deleted · ${report.unchanged} unchanged`,
        ],
        ["Documents", fmt(report.documents)],
        ["Generation", fmt(report.generation)],
      ]),
      errors.length
        ? table(
            `${plural(errors.length, "file")} skipped`,
            ["Path", "Reason"],
            errors.map((e) => [code(e.path), e.reason]),
            { class: "errors" },
          )
        : el("p", { class: "good" }, "No errors."),
      stale.length
        ? el("p", { class: "bad" }, "Kept stale (last good version still indexed): ", stale.join(", "))
        : null,
    ];
  }

  async function runStats() {
    const s = await api("stats");
    const fields = Object.entries(s.fields || {});
    const pending = s.pending || [];
    return [
      definitions([
        ["Documents", el("span", { id: "stats-documents" }, fmt(s.documents))],
        ["Deleted (not merged)", fmt(s.deleted_documents)],
        ["Generation", fmt(s.generation)],
        ["Indexed at", when(s.indexed_at)],
        ["Size", `${bytes(s.size_bytes && s.size_bytes.index_dir)} (live ${bytes(s.size_bytes && s.size_bytes.live)})`],
        ["Segments", fmt(s.segments)],
        ["Pending", pending.length ? plural(pending.length, "file") : "none"],
      ]),
      el("h3", null, "Last reindex"),
      renderReport(s.last_report),
      pending.length ? el("p", null, "Pending: ", pending.join(", ")) : null,
      el(
        "details",
        null,
        el("summary", null, `Terms per field (${fields.length} fields)`),
        table(
          null,
          ["Field", "Terms", "Postings", "Tokens"],
          fields.map(([name, f]) => [name, num(fmt(f.terms)), num(fmt(f.postings)), num(fmt(f.tokens))]),
        ),
      ),
    ];
  }

  // --- query log --------------------------------------------------------------------------

  /** A logged query, as a button that explains it. */
  function explainable(q, filters) {
    return el(
      "button",
      {
        type: "button",
        class: "link",
        title: "Explain this query",
        onclick: () => {
          $("q").value = q || "";
          $("tag").value = ((filters && filters.tags) || []).join(", ");
          $("ticker").value = ((filters && filters.tickers) || []).join(", ");
          load("explain", runExplain);
          $("explain").scrollIntoView();
        },
      },
      queryText(q),
    );
  }

  function filterText(f) {
    if (!f) return "";
    const parts = [];
    for (const [key, values] of Object.entries(f)) {
      if (Array.isArray(values) && values.length) parts.push(`${key}: ${values.join(", ")}`);
      else if (typeof values === "string" && values) parts.push(`${key}: ${values}`);
    }
    return parts.join("; ");
  }

  async function runQueries() {
    const data = await api("queries", [["window", $("window").value], ["limit", "20"]]);
    if (data.enabled === false) {
      return empty("The query log is off (SEARCHSVC_QUERY_LOG).");
    }
    const tableOr = (rows, make) => (rows.length ? make(rows) : empty("None."));
    return [
      el(
        "p",
        { class: "summary" },
        el("strong", { id: "queries-total" }, plural(data.total_searches, "search", "searches")),
        muted(` since ${when(data.since)}`),
      ),
      el(
        "div",
        { class: "grid" },
        el("div", null, el("h3", null, "Top queries"), tableOr(data.top || [], (rows) =>
          table(null, ["Query", "Searches", "Avg results", "Zero results"], rows.map((r) => [
            explainable(r.query), num(fmt(r.count)), num(fmt(r.avg_total, 1)), num(fmt(r.zero_results)),
          ]), { class: "top" }))),
        el("div", null, el("h3", null, "Zero results"), tableOr(data.zero_results || [], (rows) =>
          table(null, ["Query", "Searches", "Last seen"], rows.map((r) => [
            explainable(r.query), num(fmt(r.count)), when(r.last_seen),
          ]), { class: "zero" }))),
      ),
      el("h3", null, "Recent searches"),
      tableOr(data.recent || [], (rows) =>
        table(null, ["Time", "Query", "Filters", "Results", "ms"], rows.map((r) => [
          when(r.ts), explainable(r.q, r.filters), { value: filterText(r.filters), class: "muted" },
          num(fmt(r.total)), num(fmt(r.took_ms, 1)),
        ]), { class: "recent" })),
      el("h3", null, "Slowest searches"),
      tableOr(data.slow || [], (rows) =>
        table(null, ["ms", "Query", "Results", "Time"], rows.map((r) => [
          num(fmt(r.took_ms, 1)), explainable(r.q, r.filters), num(fmt(r.total)), when(r.ts),
        ]), { class: "slow" })),
    ];
  }

  // --- wiring -----------------------------------------------------------------------------

  const loadStats = () => load("stats", runStats);
  const loadQueries = () => load("queries", runQueries);

  function onSubmit(id, handler) {
    $(id).addEventListener("submit", (event) => {
      event.preventDefault();
      handler();
    });
  }

  function start() {
    $("signin-form").addEventListener("submit", signIn);
    $("signout").addEventListener("click", () => signOut("Signed out."));
    onSubmit("explain-form", () => load("explain", runExplain));
    onSubmit("whynot-form", () => load("whynot", runWhyNot));
    onSubmit("queries-form", loadQueries);
    $("window").addEventListener("change", loadQueries);
    $("stats-refresh").addEventListener("click", loadStats);
    if (token()) {
      showApp();
      loadStats();
      loadQueries();
    } else {
      signOut("");
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
