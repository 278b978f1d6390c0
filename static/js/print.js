// Buttons marked data-print open the browser's print dialog. A script file, not an onclick=
// attribute: the Content-Security-Policy (script-src 'self') blocks inline event handlers.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (!button) return;
  event.preventDefault();
  window.print();
});
