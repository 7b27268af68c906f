// Keyboard review on the instance page: j/k move between suggestion cards, a accepts, r rejects (focusing the comment
// first when it is empty, since a rejection needs one), c focuses the comment, x ticks the card for the bulk decision.
// Keys are ignored while typing in a field or with a modifier. htmx swaps a decided card in place; the focus then
// moves to the next open card, so a reviewer can keep going without the mouse.
(function () {
  "use strict";
  function cards() {
    return Array.prototype.slice.call(document.querySelectorAll("article.card"));
  }
  function open(card) {
    return card && !card.classList.contains("decided");
  }
  function current() {
    var el = document.activeElement;
    return el && el.closest ? el.closest("article.card") : null;
  }
  function focusCard(card) {
    if (!card) return;
    card.focus();
    card.scrollIntoView({ block: "start" });
  }
  function move(step) {
    var all = cards();
    if (all.length === 0) return;
    var at = all.indexOf(current());
    var next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step));
    focusCard(all[next]);
  }
  function press(card, action) {
    var button = card.querySelector("form.decide button[value='" + action + "']");
    if (button) button.click();
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    var t = e.target;
    if (t && t.closest && t.closest("input, textarea, select, button, [contenteditable]")) {
      if (e.key === "Escape" && t.closest("article.card")) { focusCard(t.closest("article.card")); }
      return;
    }
    var card = current();
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": if (open(card)) press(card, "accept"); else return; break;
      case "r":
        if (!open(card)) return;
        var comment = card.querySelector("form.decide textarea[name='comment']");
        if (comment && comment.value.trim() === "") { comment.focus(); } else { press(card, "reject"); }
        break;
      case "c":
        if (!open(card)) return;
        var c = card.querySelector("form.decide textarea[name='comment']");
        if (c) c.focus();
        break;
      case "x":
        if (!open(card)) return;
        var pick = card.querySelector("input.pick");
        if (pick) pick.checked = !pick.checked;
        break;
      default: return;
    }
    e.preventDefault();
  });
  // After htmx swapped a card in (htmx:load fires on the new element; the replaced one, and the form that asked, are
  // gone from the document): a decided card hands the focus to the next open card; a refused one keeps it, on the
  // field the refusal names (autofocus does not apply to swapped content).
  document.addEventListener("htmx:load", function (e) {
    var card = e.detail && e.detail.elt;
    if (!card || !card.classList || !card.classList.contains("card")) return;
    var invalid = card.querySelector("[aria-invalid='true']");
    if (invalid) { invalid.focus(); return; }
    if (card.classList.contains("decided") && !card.classList.contains("failed")) {
      var all = cards();
      var at = all.indexOf(card);
      for (var i = at + 1; i < all.length; i++) {
        if (open(all[i])) { focusCard(all[i]); return; }
      }
    }
    card.focus();
  });
}());
