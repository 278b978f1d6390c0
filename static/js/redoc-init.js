// Starts ReDoc on /api/docs/ (a static file: the Content-Security-Policy allows no inline
// script), with the response's style nonce, which ReDoc puts on the <style> elements it
// writes (see redoc-csp.js, loaded before ReDoc's bundle, for the ones it writes earlier).
(function () {
  var container = document.getElementById("redoc-container");
  var options = container.dataset.settings ? JSON.parse(container.dataset.settings) : {};
  options.nonce = document.currentScript.nonce;
  Redoc.init(container.dataset.specUrl, options, container);
})();
