// The pages' own script (served from here: the CSP allows no other). It only helps:
// every page works without it.
// - A report block typed in says "Changed: not saved yet" at once (the server marks
//   blocks "not saved in this report yet" or "saved").
// - Leaving a page with typed, unsaved text in a form marked data-warn-unsaved asks
//   first (the browser's own "Leave site?" dialog). Posting the form itself does not.
(function () {
  'use strict';
  var posting = false;

  function markChanged(block) {
    if (!block || block.getAttribute('data-block') === 'changed') return;
    block.setAttribute('data-block', 'changed');
    var line = block.querySelector('.entry-state');
    if (line) {
      var strong = document.createElement('strong');
      strong.textContent = 'Changed: ';
      line.replaceChildren(strong, 'not saved yet.');
    }
  }

  document.addEventListener('input', function (ev) {
    var form = ev.target.closest && ev.target.closest('form[data-warn-unsaved]');
    if (!form) return;
    form.setAttribute('data-dirty', 'true');
    markChanged(ev.target.closest('[data-block]'));
  });

  // A plain post carries the text with it.
  document.addEventListener('submit', function () { posting = true; });

  // After a block is saved in place, the form is dirty only if another block is.
  document.addEventListener('htmx:afterSettle', function () {
    document.querySelectorAll('form[data-warn-unsaved][data-dirty]').forEach(function (form) {
      if (form.querySelector('[data-block]') && !form.querySelector('[data-block="changed"]')) {
        form.removeAttribute('data-dirty');
      }
    });
  });

  window.addEventListener('beforeunload', function (ev) {
    if (posting) return;
    if (document.querySelector('form[data-warn-unsaved][data-dirty]')) {
      ev.preventDefault();
      ev.returnValue = '';
    }
  });
}());
