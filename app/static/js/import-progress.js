// Runs an import a chunk at a time: POSTs the step form and moves the <progress> bar.
// Without JavaScript the form's Continue button does the same, one chunk a click.
// The server locks the job and keeps its state, so a repeated POST never runs a chunk twice:
// on a slow or broken link, retrying is safe.
(function () {
  "use strict";
  var form = document.querySelector("form[data-import-step]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var bar = document.getElementById("import-progress");
  var text = document.getElementById("import-progress-text");
  var failure = document.getElementById("import-progress-failure");
  var button = form.querySelector("button[type=submit]");
  var failures = 0;

  function show(state) {
    bar.max = Math.max(state.total, 1);
    bar.value = state.done;
    text.textContent = state.text;
  }

  function giveUp() {
    failure.hidden = false;
    button.hidden = false;
  }

  function retry() {
    failures += 1;
    if (failures > 4) { giveUp(); return; }
    setTimeout(step, 2000 * failures);
  }

  function step() {
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                        headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.status === 409) {  // another window runs this chunk: wait, then ask again
          return response.json().then(function (state) { show(state); setTimeout(step, 2000); });
        }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json().then(function (state) {
          failures = 0;
          show(state);
          if (state.running) { step(); } else { window.location.assign(state.url); }
        });
      })
      .catch(retry);
  }

  button.hidden = true;
  step();
})();
