// What the search page (search.js) and the widget (widget.js) share, as one classic script
// that both load: a highlight's <mark> markup turned into DOM nodes without innerHTML, and
// the suggestion dropdown as an ARIA 1.2 combobox (a list box popup, arrow keys, Enter,
// Escape, aria-activedescendant). It defines window.searchsvcDom and nothing else.
(function () {
  "use strict";

  const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

  function decode(text) {
    return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name) => {
      if (name[0] === "#") {
        const code = name[1] === "x" || name[1] === "X"
          ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return ENTITIES[name.toLowerCase()] ?? whole;
    });
  }

  // The API's highlights are escaped text with <mark> and </mark> only: the text parts
  // become text nodes, the marks <mark> elements. Any other markup stays visible text.
  function markedText(html) {
    const fragment = document.createDocumentFragment();
    let mark = null;
    for (const part of String(html).split(/(<mark>|<\/mark>)/)) {
      if (part === "<mark>") {
        mark = document.createElement("mark");
        fragment.append(mark);
      } else if (part === "</mark>") {
        mark = null;
      } else if (part) {
        (mark || fragment).append(decode(part));
      }
    }
    return fragment;
  }

  const KIND_LABELS = { title: "Article", company: "Company", tag: "Tag", category: "Category", query: "Popular" };

  // input: a text input (made a combobox here); listbox: an empty <ul role=listbox hidden>.
  // options.url(q) gives the suggestions URL, options.choose(suggestion) acts on a pick.
  function combobox(input, listbox, options) {
    const delay = options.delay ?? 60;
    const prefix = listbox.id || "suggestions";
    let items = [];
    let active = -1;
    let seq = 0;
    let abort = null;
    let timer = 0;
    // a combobox only while this script runs: without it the input is a plain search box
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      active = index;
      listbox.querySelectorAll("[role=option]").forEach((option, i) => {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", `${prefix}-${index}`);
        listbox.children[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(suggestions) {
      items = suggestions;
      const rows = suggestions.map((s, i) => {
        const row = document.createElement("li");
        row.id = `${prefix}-${i}`;
        row.setAttribute("role", "option");
        row.setAttribute("aria-selected", "false");
        row.className = "suggestion-option";
        row.dataset.kind = s.kind;
        const text = document.createElement("span");
        text.className = "suggestion-text";
        text.append(markedText(s.highlighted));
        const kind = document.createElement("span");
        kind.className = "suggestion-kind";
        kind.textContent = KIND_LABELS[s.kind] || s.kind;
        row.append(text, kind);
        return row;
      });
      listbox.replaceChildren(...rows);
      active = -1;
      input.removeAttribute("aria-activedescendant");
      const open = rows.length > 0 && document.activeElement === input;
      listbox.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
    }

    async function fetchSuggestions() {
      const q = input.value;
      const mine = ++seq;
      if (abort) abort.abort();
      if (!q.trim()) {
        show([]);
        return;
      }
      abort = new AbortController();
      try {
        const response = await fetch(options.url(q), { signal: abort.signal, headers: { Accept: "application/json" } });
        const body = await response.json();
        if (mine === seq && response.ok) show(body.suggestions || []);
      } catch (error) {
        if (error.name !== "AbortError" && mine === seq) show([]);
      }
    }

    function choose(index) {
      const picked = items[index];
      close();
      if (picked) options.choose(picked);
    }

    input.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, delay);
    });
    input.addEventListener("keydown", (event) => {
      const open = !listbox.hidden && items.length > 0;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!items.length) return;
        event.preventDefault();
        if (!open) {
          listbox.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
        const last = items.length - 1;
        if (event.key === "ArrowDown") highlight(active >= last ? 0 : active + 1);
        else highlight(active <= 0 ? last : active - 1);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      } else if (event.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", close);
    // a click must not blur the input before it picks
    listbox.addEventListener("mousedown", (event) => event.preventDefault());
    listbox.addEventListener("click", (event) => {
      const row = event.target.closest("[role=option]");
      if (row) choose(Array.prototype.indexOf.call(listbox.children, row));
    });
    return { close };
  }

  window.searchsvcDom = { markedText, combobox };
})();
