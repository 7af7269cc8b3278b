// Starts ReDoc on the API's reference page (templates/api/redoc.html) without an inline script, so
// the page keeps the site's Content-Security-Policy (script-src 'self').
(function () {
  var element = document.getElementById("redoc-ui");
  var settings = JSON.parse(document.getElementById("redoc-settings").textContent);
  Redoc.init(element.dataset.openapiUrl, settings, element);
})();
