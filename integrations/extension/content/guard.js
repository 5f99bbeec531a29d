/* 话术推荐 extension: runs in the page's own world, on the configured sites only, before the page's scripts.
 *
 * Some chat pages embed the server's widget (webapp/static/widget.js) themselves, like the demo page
 * /integrations/demo. The extension's panel does the same job, so the widget is asked to stay off: widget.js does
 * nothing when window.HuashuWidget already has a `version` (it treats that as "included twice"). When the extension
 * is set up on a page that is already open, a running widget is removed first. Nothing else of the page is touched.
 */
(function () {
  "use strict";
  var current = window.HuashuWidget;
  if (current && current.version === "extension") return;
  if (current && typeof current.destroy === "function") {
    try { current.destroy(); } catch (err) { /* the page's widget is not ours to fix */ }
  }
  var noop = function () {};
  window.HuashuWidget = Object.freeze({
    version: "extension", // the browser extension shows the suggestions on this page
    init: function () { return window.HuashuWidget; },
    destroy: noop, refresh: noop, resetPosition: noop,
    insert: function () { return false; },
    suggestions: function () { return []; },
    setProduct: noop, product: function () { return null; }
  });
})();
