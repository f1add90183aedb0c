// The policy editor: as the person types, the document goes to the console's validator
// (POST /console/policies/validate, CSRF token in a header) and its findings replace the
// list under the editor. Without this script the form still works: the server checks
// the document on submit and shows the same findings.
(function () {
  "use strict";
  var area = document.getElementById("document");
  var list = document.getElementById("findings");
  var status = document.getElementById("findings-status");
  if (!area || !list || !status) { return; }
  var form = area.form;
  var csrf = form.querySelector("input[name=csrf]").value;
  var url = area.getAttribute("data-validate");
  var timer = null;
  var sent = 0;

  function show(findings, size, limit) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    findings.forEach(function (f) {
      var item = document.createElement("li");
      item.className = "finding";
      if (f.line) {
        var where = document.createElement("span");
        where.className = "where";
        where.textContent = "Line " + f.line + ", column " + f.column + ":";
        item.appendChild(where);
        item.appendChild(document.createTextNode(" "));
      }
      var reason = document.createElement("span");
      reason.className = "reason";
      reason.textContent = f.message;
      item.appendChild(reason);
      list.appendChild(item);
    });
    status.textContent = findings.length
      ? findings.length + (findings.length === 1 ? " problem found." : " problems found.")
      : "No problems found (" + size + " of " + limit + " characters).";
    status.className = findings.length ? "bad" : "good";
  }

  function check() {
    var mine = ++sent;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ document: area.value })
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (answer) {
      if (mine === sent) { show(answer.findings, answer.size, answer.limit); }
    }).catch(function () {
      if (mine === sent) { status.textContent = "The document could not be checked just now."; }
    });
  }

  area.addEventListener("input", function () {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(check, 400);
  });
})();
