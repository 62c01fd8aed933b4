// chipgraph: the query editor at /sparql. Yasqe (vendored, /static/vendor/yasqe) edits the query;
// "Run query" POSTs it to this server's /sparql and draws the result into #results. Without this
// script (or without Yasqe) the form still works: it GETs /sparql?query=... and the server draws
// the same table.
(function () {
  "use strict";
  const form = document.getElementById("sparql-form");
  if (!form) return;
  const textarea = document.getElementById("query-text");
  const results = document.getElementById("results");
  const status = document.getElementById("query-status");
  const button = document.getElementById("run-query");
  const prefixes = JSON.parse(document.getElementById("sparql-prefixes").textContent);
  const ID_BASE = prefixes.chip.replace(/chip\/$/, "");
  const ACCEPT = "application/sparql-results+json, text/turtle;q=0.9";
  let editor = null;

  if (window.Yasqe) {
    const Yasqe = window.Yasqe;
    // Offline: no completer that asks a remote service (class and property ask LOV on the web).
    Yasqe.defaults.autocompleters = (Yasqe.defaults.autocompleters || []).filter(function (name) {
      return name !== "class" && name !== "property";
    });
    const run = function () { form.requestSubmit(); };
    editor = new Yasqe(document.getElementById("editor"), {
      value: textarea.value,
      // Yasqe's own runner (Ctrl-Enter) would POST to its default endpoint on the web: ours instead.
      extraKeys: { "Ctrl-Enter": run, "Cmd-Enter": run },
      requestConfig: { endpoint: "/sparql", method: "POST" },
      persistenceId: null,
      consumeShareLink: null,
      createShareableLink: null,
      showQueryButton: false,
      prefixCcApi: null,
      editorHeight: "22em",
    });
    ["class", "property"].forEach(function (name) {
      if (editor.autocompleters && editor.autocompleters[name]) editor.disableCompleter(name);
    });
    textarea.hidden = true;
    // CodeMirror types into a hidden textarea of its own: give it the label's name.
    editor.getInputField().setAttribute("aria-label", "SPARQL query");
    form.querySelector("label[for=query-text]").setAttribute("for", "editor");
  }

  function queryText() { return editor ? editor.getValue() : textarea.value; }
  function setQuery(text) {
    textarea.value = text;
    if (editor) { editor.setValue(text); editor.focus(); } else { textarea.focus(); }
  }

  function shorten(iri) {
    let best = null;
    Object.keys(prefixes).forEach(function (prefix) {
      const ns = prefixes[prefix];
      if (iri.startsWith(ns) && (best === null || ns.length > prefixes[best].length)) best = prefix;
    });
    return best === null ? iri : best + ":" + iri.slice(prefixes[best].length);
  }

  function cell(term) {
    const td = document.createElement("td");
    if (!term) { td.className = "unbound"; return td; }
    if (term.type === "uri") {
      td.className = "iri";
      td.title = term.value;
      const rest = term.value.slice(ID_BASE.length);
      if (term.value.startsWith(ID_BASE) && rest.split("/").length === 2) {
        const a = document.createElement("a");
        a.href = "/id/" + rest;
        a.textContent = shorten(term.value);
        td.appendChild(a);
      } else {
        td.textContent = shorten(term.value);
      }
    } else if (term.type === "bnode") {
      td.className = "bnode";
      td.textContent = "_:" + term.value;
    } else {
      td.className = "literal";
      if (term.datatype || term["xml:lang"]) td.title = term.datatype || term["xml:lang"];
      td.textContent = term.value;
    }
    return td;
  }

  function message(cls, text) {
    const p = document.createElement("p");
    p.className = cls;
    p.textContent = text;
    return p;
  }

  function draw(result, limit) {
    results.replaceChildren();
    if (typeof result.boolean === "boolean") {
      const p = message("verdict", "ASK: ");
      const strong = document.createElement("strong");
      strong.textContent = String(result.boolean);
      p.appendChild(strong);
      results.appendChild(p);
      return;
    }
    const vars = result.head.vars || [];
    const bindings = result.results.bindings;
    let count = bindings.length + " row" + (bindings.length === 1 ? "" : "s");
    if (limit && bindings.length >= Number(limit)) count += " (the endpoint stops at " + limit + ")";
    results.appendChild(message("count", count + "."));
    const table = document.createElement("table");
    table.className = "results";
    const head = table.createTHead().insertRow();
    vars.forEach(function (name) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = name;
      head.appendChild(th);
    });
    const body = table.createTBody();
    bindings.forEach(function (binding) {
      const tr = body.insertRow();
      vars.forEach(function (name) { tr.appendChild(cell(binding[name])); });
    });
    results.appendChild(table);
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const query = queryText();
    textarea.value = query;
    button.disabled = true;
    status.textContent = "Running…";
    const started = performance.now();
    try {
      const response = await fetch("/sparql", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: ACCEPT },
        body: new URLSearchParams({ query: query }),
      });
      const type = response.headers.get("content-type") || "";
      if (!response.ok) {
        let text = response.status + " " + response.statusText;
        if (type.includes("json")) {
          const error = await response.json();
          text = (error.code || response.status) + ": " + (error.message || "");
        }
        results.replaceChildren(message("error", text));
        results.firstChild.setAttribute("role", "alert");
        status.textContent = "Failed.";
      } else if (type.startsWith("application/sparql-results+json")) {
        draw(await response.json(), response.headers.get("x-result-row-limit"));
        status.textContent = "Done in " + Math.round(performance.now() - started) + " ms.";
      } else {
        const pre = document.createElement("pre");
        pre.className = "graph";
        pre.textContent = await response.text();
        results.replaceChildren(pre);
        status.textContent = "Done in " + Math.round(performance.now() - started) + " ms.";
      }
      history.replaceState(null, "", "/sparql?query=" + encodeURIComponent(query));
    } catch (error) {
      results.replaceChildren(message("error", "The query could not be sent: " + error));
      status.textContent = "Failed.";
    } finally {
      button.disabled = false;
    }
  });

  document.querySelectorAll("a.example").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      setQuery(link.dataset.query);
      status.textContent = "Loaded " + link.textContent + "; run it with Run query.";
      form.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  });
})();
