// The questionnaire's `relevant` conditions, for the common XLSForm forms: ${q} compared
// with a number or a quoted text (= != < <= > >=), selected(${q}, 'v'), and / or / not(),
// parentheses. A question whose condition is false is hidden and its inputs disabled, so
// nothing hidden is sent. A condition this reader does not understand leaves the question
// shown (the server never requires a conditional question). No eval: a small parser.
(function () {
  "use strict";
  var form = document.querySelector("form.wg-survey");
  if (!form) return;

  function values(name) {
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    var out = [];
    inputs.forEach(function (input) {
      if (input.disabled) return;
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) return;
      if (input.value !== "") out.push(input.value);
    });
    return out;
  }

  function tokenize(text) {
    var re = /\s*(\$\{[A-Za-z_][\w.-]*\}|'[^']*'|"[^"]*"|-?\d+(?:\.\d+)?|<=|>=|!=|=|<|>|\(|\)|,|and\b|or\b|not\b|selected\b|\.)/y;
    var tokens = [], match;
    re.lastIndex = 0;
    while (re.lastIndex < text.length) {
      if (/^\s*$/.test(text.slice(re.lastIndex))) break;
      match = re.exec(text);
      if (!match) return null;
      tokens.push(match[1]);
    }
    return tokens;
  }

  function parse(tokens) {
    var i = 0;
    function peek() { return tokens[i]; }
    function next() { return tokens[i++]; }
    function expect(t) { if (next() !== t) throw new Error("syntax"); }
    function value() {
      var t = next();
      if (t === undefined) throw new Error("syntax");
      if (t.charAt(0) === "$") {
        var name = t.slice(2, -1);
        return function () { var v = values(name); return v.length ? v.join(" ") : ""; };
      }
      if (t.charAt(0) === "'" || t.charAt(0) === '"') { var s = t.slice(1, -1); return function () { return s; }; }
      if (/^-?\d/.test(t)) { var n = parseFloat(t); return function () { return n; }; }
      if (t === "(") { var inner = or(); expect(")"); return inner; }
      if (t === "not") { expect("("); var e = or(); expect(")"); return function () { return !e(); }; }
      if (t === "selected") {
        expect("("); var field = next(); expect(","); var choice = next(); expect(")");
        if (!field || field.charAt(0) !== "$") throw new Error("syntax");
        var q = field.slice(2, -1), c = choice.slice(1, -1);
        return function () { return values(q).join(" ").split(" ").indexOf(c) >= 0; };
      }
      throw new Error("unsupported");
    }
    function compare() {
      var left = value();
      var op = peek();
      if (["=", "!=", "<", "<=", ">", ">="].indexOf(op) < 0) return left;
      next();
      var right = value();
      return function () {
        var a = left(), b = right();
        if (typeof b === "number" || typeof a === "number") {
          if (a === "" || b === "") return false;
          a = parseFloat(a); b = parseFloat(b);
        }
        switch (op) {
          case "=": return a == b; // eslint-disable-line eqeqeq
          case "!=": return a != b; // eslint-disable-line eqeqeq
          case "<": return a < b;
          case "<=": return a <= b;
          case ">": return a > b;
          default: return a >= b;
        }
      };
    }
    function and() {
      var left = compare();
      while (peek() === "and") { next(); var r = compare(), l = left; left = function () { return l() && r(); }; }
      return left;
    }
    function or() {
      var left = and();
      while (peek() === "or") { next(); var r = and(), l = left; left = function () { return l() || r(); }; }
      return left;
    }
    var result = or();
    if (i !== tokens.length) throw new Error("syntax");
    return result;
  }

  var rules = [];
  form.querySelectorAll("[data-relevant]").forEach(function (block) {
    var tokens = tokenize(block.getAttribute("data-relevant"));
    if (!tokens) return;
    try { rules.push({ block: block, test: parse(tokens) }); } catch (e) { /* shown */ }
  });
  function apply() {
    // Twice: a condition may depend on a question another condition just hid.
    for (var pass = 0; pass < 2; pass++) {
      rules.forEach(function (rule) {
        var show = !!rule.test();
        rule.block.hidden = !show;
        rule.block.querySelectorAll("input, textarea, select").forEach(function (input) {
          input.disabled = !show;
        });
      });
    }
  }
  form.addEventListener("change", apply);
  form.addEventListener("input", apply);
  apply();
})();
