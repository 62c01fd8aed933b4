// chipgraph: the changeset form at /changes/new. "Validate" POSTs the pasted envelope to
// /changes?dry_run=true (nothing is written), "Merge" to /changes; both send the token as
// Authorization: Bearer and draw the answer (the SHACL report, or the error) into #report.
(function () {
  "use strict";
  const form = document.getElementById("validate-form");
  if (!form) return;
  const report = document.getElementById("report");
  const text = document.getElementById("changeset");
  const token = document.getElementById("token");
  const allowWarnings = document.getElementById("allow-warnings");
  const buttons = form.querySelectorAll("button");

  function element(tag, cls, content) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function resultsTable(results) {
    const columns = ["severity", "focus_node", "path", "value", "message", "constraint", "source_shape"];
    const table = element("table", "results");
    const head = table.createTHead().insertRow();
    columns.forEach(function (name) {
      const th = element("th", null, name.replace("_", " "));
      th.scope = "col";
      head.appendChild(th);
    });
    const body = table.createTBody();
    results.forEach(function (result) {
      const tr = body.insertRow();
      columns.forEach(function (name) {
        tr.appendChild(element("td", null, result[name] === null || result[name] === undefined ? "" : String(result[name])));
      });
    });
    return table;
  }

  function show(status, body, merging) {
    report.replaceChildren();
    const shape = body && body.context && body.context.results ? body.context : body;
    let summary;
    if (status === 201) {
      summary = element("p", "ok", "Merged: ");
      (body.merged || []).forEach(function (id) {
        const a = element("a", null, id);
        a.href = "/changes/" + encodeURIComponent(id);
        summary.appendChild(a);
        summary.appendChild(document.createTextNode(" "));
      });
    } else if (status === 200 && merging) {
      summary = element("p", "ok", "Nothing to merge: the graph already holds this change.");
    } else if (status === 200) {
      summary = element("p", "ok", "Conforms: the changeset passes the shapes. Nothing was written.");
    } else if (shape && Array.isArray(shape.results)) {
      summary = element("p", "error", (body.code ? body.code + ": " + body.message : "Does not conform: nothing was written.") + " (HTTP " + status + ")");
    } else {
      summary = element("p", "error", (body && body.code ? body.code + ": " + body.message : "HTTP " + status) + (body && body.code ? " (HTTP " + status + ")" : ""));
    }
    summary.id = "report-summary";
    summary.setAttribute("role", status >= 400 ? "alert" : "status");
    report.appendChild(summary);
    if (shape && Array.isArray(shape.results) && shape.results.length) {
      report.appendChild(element("h2", null, "SHACL report: " + shape.results.length + " result" + (shape.results.length === 1 ? "" : "s")));
      report.appendChild(resultsTable(shape.results));
    }
  }

  async function send(merging) {
    const params = new URLSearchParams();
    if (!merging) params.set("dry_run", "true");
    if (allowWarnings.checked) params.set("allow_warnings", "true");
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (token.value) headers.Authorization = "Bearer " + token.value;
    buttons.forEach(function (b) { b.disabled = true; });
    report.replaceChildren(element("p", null, merging ? "Merging…" : "Validating…"));
    try {
      const response = await fetch("/changes?" + params.toString(), { method: "POST", headers: headers, body: text.value });
      let body = null;
      try { body = await response.json(); } catch (_) { body = { code: "", message: response.statusText }; }
      show(response.status, body, merging);
    } catch (error) {
      report.replaceChildren(element("p", "error", "The changeset could not be sent: " + error));
    } finally {
      buttons.forEach(function (b) { b.disabled = false; });
    }
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); send(false); });
  document.getElementById("merge-changeset").addEventListener("click", function () { send(true); });
})();
