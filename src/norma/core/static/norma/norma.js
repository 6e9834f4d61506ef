// Progressive enhancement only: every page works without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  // Take keyboard and screen-reader users straight to the first field with an error.
  var invalid = document.querySelector(".has-error input, .has-error select, .has-error textarea");
  if (invalid) { invalid.focus(); }
});
document.body && document.body.addEventListener("htmx:configRequest", function (event) {
  var token = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (token) { event.detail.headers["X-CSRFToken"] = token.value; }
});
