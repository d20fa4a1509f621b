// Occupation autocomplete: progressive enhancement of a plain search field.
// Without JavaScript the form still submits to the search page.
(function () {
  "use strict";
  var endpoint = "/api/v1/occupations/suggest";
  document.querySelectorAll("input[data-occupation-autocomplete]").forEach(function (input) {
    var list = document.createElement("datalist");
    list.id = input.id + "-suggestions";
    input.setAttribute("list", list.id);
    input.after(list);
    var timer = null, last = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (q.length < 2 || q === last) { return; }
        last = q;
        fetch(endpoint + "?limit=5&q=" + encodeURIComponent(q), {headers: {"Accept": "application/json"}})
          .then(function (r) { return r.ok ? r.json() : {results: []}; })
          .then(function (data) {
            list.innerHTML = "";
            data.results.forEach(function (s) {
              var option = document.createElement("option");
              option.value = s.matched;
              option.label = s.code + " · " + s.label;
              list.appendChild(option);
            });
          })
          .catch(function () { /* offline or slow link: the plain search still works */ });
      }, 250);
    });
  });
})();
