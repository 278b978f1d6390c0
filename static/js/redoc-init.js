// Starts ReDoc on /api/docs/ (a static file: the Content-Security-Policy allows no inline
// script), with the response's style nonce, which ReDoc puts on the <style> elements it
// writes (see redoc-csp.js, loaded before ReDoc's bundle, for the ones it writes earlier).
(function () {
  var container = document.getElementById("redoc-container");
  var options = container.dataset.settings ? JSON.parse(container.dataset.settings) : {};
  options.nonce = document.currentScript.nonce;
  // ReDoc's stock green and red on their pale backgrounds miss WCAG AA's 4.5:1 (4.25 and
  // 4.38): darker shades of the same colours pass (axe-core, tests/browser/test_personas.py).
  // The response tabs of the dark right-hand panel get light shades (ReDoc's own lightening
  // of the dark red gives 4.42:1 there).
  options.theme = Object.assign(
    {
      colors: {
        success: { main: "#136b1c" },
        error: { main: "#a8120f" },
        warning: { main: "#8a5a00" },
        responses: {
          success: { tabTextColor: "#8fe39a" },
          error: { tabTextColor: "#ff9a92" },
          redirect: { tabTextColor: "#ffcf70" },
          info: { tabTextColor: "#8fd3f0" },
        },
        http: {
          get: "#1f6b2c", post: "#155e9c", put: "#7a4b00", options: "#7a4b00",
          patch: "#8a5a00", delete: "#a8120f", basic: "#5a6478", link: "#0b6e80", head: "#8a3f8f",
        },
      },
    },
    options.theme || {}
  );

  // ReDoc jumps from an operation's <h2> to <h5> ("Request Body schema", "Responses"):
  // screen readers list headings by level, so each one that skips levels is announced one
  // level below the heading before it (role=heading + aria-level), as the page re-renders.
  function levelHeadings() {
    var previous = 0;
    container.querySelectorAll("h1, h2, h3, h4, h5, h6").forEach(function (heading) {
      var level = Number(heading.tagName.substring(1));
      if (previous && level > previous + 1) {
        level = previous + 1;
        if (heading.getAttribute("aria-level") !== String(level)) {
          heading.setAttribute("role", "heading");
          heading.setAttribute("aria-level", String(level));
        }
      } else if (heading.hasAttribute("aria-level")) {
        level = Number(heading.getAttribute("aria-level"));
      }
      previous = level;
    });
  }
  new MutationObserver(levelHeadings).observe(container, { childList: true, subtree: true });

  Redoc.init(container.dataset.specUrl, options, container, levelHeadings);
})();
