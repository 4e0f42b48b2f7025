// The login page's one help: the browser's time zone (an IANA name such as
// Asia/Jakarta) in the hidden time_zone field, so the first login sets the account's
// zone and the pages show times in it. Without script the field stays empty and the
// pages show UTC, saying so, until the person chooses a zone on their account page.
(function () {
  'use strict';
  var field = document.getElementById('browser-time-zone');
  if (!field) return;
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (typeof zone === 'string' && zone.length <= 64) field.value = zone;
  } catch (e) {
    // No Intl: the account keeps no zone until one is chosen.
  }
})();
