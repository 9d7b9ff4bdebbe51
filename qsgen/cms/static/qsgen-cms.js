/* qsgen-cms.js: qsgen's checks in the Decap CMS form (copied by `qsgen cms` from qsgen/cms/static/).
 *
 * Loaded after decap-cms.js (with window.CMS_MANUAL_INIT set), before CMS.init(). Registers the
 * widgets qsgen-string, qsgen-number, qsgen-datetime and qsgen-select: Decap's own widgets with
 * qsgen's checks. A field's checks are in its config (`qsgen:`), made by qsgen/cms/messages.py
 * from qsgen's own validator, so the form shows the Chinese message and hint `qsgen check`
 * gives for the same value. Checks run in order and the first that fails is shown, as qsgen's
 * converters do; an empty optional field is not checked. Decap's own "is required" message is
 * emptied (the field still cannot be saved empty): qsgen's says the same in qsgen's words.
 */
(function () {
  'use strict';
  var CMS = window.CMS;
  var h = window.h;
  var createClass = window.createClass;

  var phrases = CMS.getLocale('zh_Hans');
  if (phrases && phrases.editor && phrases.editor.editorControlPane) {
    phrases.editor.editorControlPane.widget.required = '';
  }

  // qsgen.records.fields.quote: the text in “…”, cut after 40 characters.
  function quote(text) {
    var chars = Array.from(text);
    return '\u201c' + (chars.length > 40 ? chars.slice(0, 40).join('') + '\u2026' : text) + '\u201d';
  }

  function isEmpty(value) {
    if (value === null || value === undefined) return true;
    if (typeof value === 'string') return value.trim() === '';
    if (typeof value === 'number') return isNaN(value);
    if (typeof value.size === 'number') return value.size === 0; // an Immutable list or map
    if (Array.isArray(value)) return value.length === 0;
    return false;
  }

  function asText(value) {
    return typeof value === 'string' ? value : String(value);
  }

  function fails(check, value) {
    var text = asText(value);
    switch (check.test) {
      case 'prefix':
        var low = text.trim().toLowerCase();
        return !check.prefixes.some(function (p) { return low.indexOf(p) === 0; });
      case 'period':
        return text < check.start || text > check.end;
      case 'places':
        var m = /\.(\d+)$/.exec(text);
        return !!m && m[1].replace(/0+$/, '').length > check.places;
      case 'min':
        return Number(value) < check.limit;
      case 'max':
        return Number(value) > check.limit;
      default:
        return false;
    }
  }

  // qsgen.cms.messages.fill: the placeholders of a check's message and hint filled in.
  function fill(check, text) {
    var kept = '';
    if (check.places !== undefined && text.indexOf('.') >= 0) {
      var parts = text.split('.');
      kept = parts[0] + '.' + parts[1].slice(0, check.places);
    }
    function one(template) {
      return template.split('{q}').join(quote(text)).split('{v}').join(text).split('{kept}').join(kept);
    }
    var message = one(check.message);
    var hint = one(check.hint || '');
    return hint ? message + '\u3000\u63d0\u793a\uff1a' + hint : message; // "　提示："
  }

  function firstError(field, value) {
    var checks = field.get('qsgen');
    if (!checks) return null;
    checks = checks.toJS ? checks.toJS() : checks;
    var empty = isEmpty(value);
    for (var i = 0; i < checks.length; i++) {
      var check = checks[i];
      if (check.test === 'required') {
        if (empty) return fill(check, '');
      } else if (empty) {
        return null;
      } else if (fails(check, value)) {
        return fill(check, asText(value));
      }
    }
    return null;
  }

  ['string', 'number', 'datetime', 'select'].forEach(function (name) {
    var base = CMS.getWidget(name);
    var Control = createClass({
      displayName: 'Qsgen' + name,
      isValid: function () {
        var error = firstError(this.props.field, this.props.value);
        return error ? { error: { type: 'CUSTOM', message: error } } : true;
      },
      render: function () {
        return h(base.control, this.props);
      },
    });
    CMS.registerWidget('qsgen-' + name, Control, base.preview, base.schema);
  });

  CMS.init();
})();
