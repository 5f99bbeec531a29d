/* 话术推荐 extension: reading the chat page and writing into its reply box (content-script world).
 * The same rules as the widget (webapp/static/widget.js): the last element matching the buyer-message selector is
 * the latest message; text is read with textContent only; a reply goes into the reply box the way typing would be
 * seen by React/Vue/ProseMirror (value setter + input/change events, or execCommand('insertText')); nothing is sent.
 */
(function (root) {
  "use strict";

  var ns = root.HuashuExt = root.HuashuExt || {};
  if (ns.dom) return;

  var MAX_CHARS = 2000;   // the API's message limit (code points)
  var CONTEXT = 5;        // earlier messages sent as context

  function clip(text, max) {
    return text.length <= max ? text : Array.from(text).slice(0, max).join("");
  }

  function textOf(node) {
    return (node.textContent || "").replace(/[ \t\r\f\v\u00a0\u3000]+/g, " ").replace(/\s*\n\s*/g, "\n").trim();
  }

  function same(a, b) {
    return a.replace(/\s+/g, "") === b.replace(/\s+/g, "");
  }

  function all(selector) {
    if (!selector) return [];
    try { return Array.prototype.slice.call(document.querySelectorAll(selector)); } catch (err) { return []; }
  }

  /* A buyer's message as the API takes it: a leading "/" would make the API look up 快捷编码 instead. */
  function asMessage(text) {
    return clip(text.replace(/^[\s/／]+/, "").trim(), MAX_CHARS);
  }

  /* {latest, context: [earlier messages, oldest first]} from the site's selectors, or null without a message. */
  function readConversation(site, skip) {
    var buyer = all(site.latest).filter(function (n) { return !skip(n) && asMessage(textOf(n)); });
    if (!buyer.length) return null;
    var latest = buyer[buyer.length - 1];
    var earlier = all(site.history || site.latest).filter(function (n) {
      // Before the latest message in page order, and neither inside it nor around it.
      return !skip(n) && n !== latest && !n.contains(latest) && !latest.contains(n) &&
        (n.compareDocumentPosition(latest) & Node.DOCUMENT_POSITION_FOLLOWING);
    });
    var context = earlier.map(function (n) { return asMessage(textOf(n)); }).filter(Boolean).slice(-CONTEXT);
    return {latest: asMessage(textOf(latest)), context: context};
  }

  function isTextControl(node) {
    return !!node && (node.tagName === "TEXTAREA" || (node.tagName === "INPUT" &&
      /^(text|search|email|url|tel|)$/i.test(node.getAttribute("type") || "")));
  }

  /* The reply box: the element the selector names, or the editable element inside it (a wrapper was picked). */
  function replyBox(selector) {
    var found = all(selector).filter(function (n) { return n.isConnected; });
    var box = found[0] || null;
    if (box && !isTextControl(box) && !box.isContentEditable) {
      box = box.querySelector("textarea, input[type=text], input:not([type]), [contenteditable=''], " +
                              "[contenteditable=true], [contenteditable=plaintext-only]") || box;
    }
    return box;
  }

  /* Put `text` into the box, replacing what is there; returns false when the box cannot take text. */
  function fill(box, text) {
    if (isTextControl(box)) {
      if (box.disabled || box.readOnly) return false;
      var proto = box.tagName === "TEXTAREA" ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
      var setter = Object.getOwnPropertyDescriptor(proto, "value").set;
      box.focus();
      setter.call(box, text);  // the prototype's setter: React's value tracker sees a real change
      try { box.setSelectionRange(text.length, text.length); } catch (err) { /* no selection on this type */ }
      box.dispatchEvent(new Event("input", {bubbles: true}));
      box.dispatchEvent(new Event("change", {bubbles: true}));
      return true;
    }
    if (box && box.isContentEditable) {
      box.focus();
      var selection = window.getSelection();
      var range = document.createRange();
      range.selectNodeContents(box);
      selection.removeAllRanges();
      selection.addRange(range);
      var ok = false;
      try { ok = document.execCommand("insertText", false, text); } catch (err) { ok = false; }
      if (!ok || !same(textOf(box), text)) {
        box.textContent = text;
        box.dispatchEvent(new InputEvent("input", {bubbles: true, inputType: "insertText", data: text}));
        range = document.createRange();
        range.selectNodeContents(box);
        range.collapse(false);
        selection.removeAllRanges();
        selection.addRange(range);
      }
      return true;
    }
    return false;
  }

  ns.dom = {textOf: textOf, same: same, all: all, readConversation: readConversation, replyBox: replyBox,
            fill: fill, clip: clip};
})(globalThis);
