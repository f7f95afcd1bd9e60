// The catalogue's filters and "Copy" buttons. Without this script the page lists everything;
// with it, the matching cards are shown a page at a time (PAGE, then "Show more"), so that a
// filter over 20,000 cards changes at most a few hundred elements.
(function () {
  "use strict";
  var PAGE = 200;
  var limit = PAGE;
  var more = document.getElementById("more");
  var form = document.getElementById("filters");
  var query = document.getElementById("q");
  var provider = document.getElementById("f-provider");
  var kind = document.getElementById("f-kind");
  var printed = document.getElementById("f-print");
  var status = document.getElementById("shown");
  var sections = Array.prototype.map.call(document.querySelectorAll("section.provider"), function (s) {
    return { el: s, id: s.getAttribute("data-provider"), shown: true };
  });
  var cards = Array.prototype.map.call(document.querySelectorAll("li.card"), function (c) {
    return {
      el: c,
      provider: c.getAttribute("data-provider"),
      kind: c.getAttribute("data-kind"),
      print: c.hasAttribute("data-print"),
      text: c.getAttribute("data-text") || "",
      shown: true
    };
  });

  function apply() {
    var words = query.value.toLowerCase().split(/\s+/).filter(Boolean);
    var p = provider.value, k = kind.value, pr = printed.checked;
    var count = 0, shown = 0, per = {};
    for (var i = 0; i < cards.length; i++) {
      var c = cards[i];
      var ok = (!p || c.provider === p) && (!k || c.kind === k) && (!pr || c.print);
      for (var w = 0; ok && w < words.length; w++) ok = c.text.indexOf(words[w]) !== -1;
      if (ok) count++;
      var on = ok && shown < limit;
      if (on) { shown++; per[c.provider] = true; }
      if (on !== c.shown) { c.el.hidden = !on; c.shown = on; }
    }
    for (var j = 0; j < sections.length; j++) {
      var s = sections[j], any = !!per[s.id];
      if (any !== s.shown) { s.el.hidden = !any; s.shown = any; }
    }
    var matching = count === cards.length ? "all " + count + " assets" : count + " of " + cards.length + " assets";
    status.textContent = shown < count
      ? "Showing the first " + shown + " of " + matching
      : "Showing " + matching;
    more.hidden = shown >= count;
    more.firstChild.nodeValue = "Show " + Math.min(PAGE, count - shown) + " more";
  }

  // A new filter starts again from the first page.
  function fresh() { limit = PAGE; apply(); }

  var pending = 0;
  function soon() {
    if (!pending) pending = requestAnimationFrame(function () { pending = 0; fresh(); });
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  query.addEventListener("input", soon);
  query.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { query.value = ""; fresh(); }
  });
  provider.addEventListener("change", fresh);
  kind.addEventListener("change", fresh);
  printed.addEventListener("change", fresh);
  more.addEventListener("click", function () { limit += PAGE; apply(); });
  form.hidden = false;
  fresh();

  function copied(button) {
    var label = button.firstChild;
    button.classList.add("done");
    label.nodeValue = "Copied";
    setTimeout(function () { button.classList.remove("done"); label.nodeValue = "Copy"; }, 2000);
  }
  function fallback(text, button) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { if (document.execCommand("copy")) copied(button); } catch (e) { /* nothing to copy with */ }
    document.body.removeChild(area);
  }
  Array.prototype.forEach.call(document.querySelectorAll("button.copy"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = document.getElementById(button.getAttribute("data-copy")).textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { copied(button); }, function () { fallback(text, button); });
      } else {
        fallback(text, button);
      }
    });
  });
})();
