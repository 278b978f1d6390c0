// Loaded on /api/docs/ just before ReDoc's bundle, so that ReDoc runs under the page's
// Content-Security-Policy without 'unsafe-inline' and without asking any other host.
(function () {
  // The page allows <style> elements only with this response's nonce (style-src 'nonce-…'),
  // which the server put on this <script>. ReDoc writes its styles into <style> elements it
  // creates from script — some as its bundle loads, before it could be given the nonce — so
  // every <style> created by script gets the nonce. A <style> in parsed or injected markup
  // does not, and stays blocked; and only our own scripts run here (script-src 'self').
  var nonce = document.currentScript.nonce;
  var createElement = document.createElement;
  document.createElement = function (tagName) {
    var element = createElement.apply(this, arguments);
    if (String(tagName).toLowerCase() === "style") {
      element.nonce = nonce;
    }
    return element;
  };

  // ReDoc's menu always shows its vendor's logo from their CDN. The page asks no host but
  // ours (and img-src 'self' would refuse it with a CSP violation), so the logo's address
  // becomes an empty data: image, whose load error makes ReDoc drop the logo.
  var FOREIGN_LOGO = /^https:\/\/cdn\.redoc\.ly\//;
  var EMPTY = "data:,";
  var setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (this instanceof HTMLImageElement && String(name).toLowerCase() === "src" &&
        FOREIGN_LOGO.test(String(value))) {
      value = EMPTY;
    }
    return setAttribute.call(this, name, value);
  };
  var src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true,
    enumerable: src.enumerable,
    get: src.get,
    set: function (value) {
      src.set.call(this, FOREIGN_LOGO.test(String(value)) ? EMPTY : value);
    },
  });
})();
