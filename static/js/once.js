// A double-clicked submit button sends the form once: the button disables itself after the
// first submit. (The server copes with repeats anyway; this spares the officer a confusing
// second answer.)
document.addEventListener("submit", function (event) {
  var button = event.target.querySelector("button[data-once]");
  if (!button) return;
  if (button.dataset.sent) { event.preventDefault(); return; }
  button.dataset.sent = "1";
  setTimeout(function () { button.disabled = true; }, 0);
});
