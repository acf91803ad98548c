import { createHash } from 'node:crypto';

/** The client side of the public page: reads the code, asks /verify/{code}, shows the answer. */
const SCRIPT = `
(function () {
  var form = document.getElementById('f'), input = document.getElementById('code'), out = document.getElementById('out');
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'})[c]; }); }
  function row(k, v) { return v === null || v === undefined || v === '' ? '' : '<dt>' + esc(k) + '</dt><dd>' + esc(v) + '</dd>'; }
  function show(a) {
    var ok = a.verdict === 'verified', f = a.facts || {}, h = '';
    h += '<div class="verdict ' + (ok ? 'ok' : 'bad') + '" role="status"><span class="mark" aria-hidden="true">' + (ok ? '&#10003;' : '&#10007;') + '</span>' + (ok ? 'Verified' : 'Not verified') + '</div>';
    h += '<p class="msg">' + esc(a.message) + '</p>';
    if (a.facts) {
      h += '<dl>' + row('Product', f.product) + row('Lot', f.lot) + row('Vial', f.serial) + row('Made from', f.origin) + row('Isolation', f.isolationMethod);
      if (f.keyFigures) h += row('Particle size (NTA mode)', f.keyFigures.ntaModeSizeNm !== null ? f.keyFigures.ntaModeSizeNm + ' nm' : null) + row('Particle concentration', f.keyFigures.ntaConcentrationPerMl !== null ? Number(f.keyFigures.ntaConcentrationPerMl).toExponential(2) + ' particles/mL' : null) + row('CD63 marker', f.keyFigures.cd63);
      if (f.characterization && f.characterization.length) h += row('Quality tests', f.characterization.map(function (c) { return c.test + (c.passed ? ' (passed)' : ' (not passed)'); }).join('; '));
      if (f.released) h += row('Released', f.released.on + ' by ' + f.released.by);
      h += row('Expiry', f.expiry) + row('Storage', f.storage) + row('Use', f.intendedUse);
      if (f.custody && f.custody.length) h += row('Journey', f.custody.map(function (c) { return c.event + ' ' + c.on; }).join(' \\u2192 '));
      h += '</dl>';
    }
    h += '<p class="fine">Checked ' + esc(a.checkedAt) + ' \\u00b7 signed by the lab (key ' + esc(a.signature && a.signature.keyId) + ')</p>';
    out.innerHTML = h;
  }
  function check(code) {
    if (!code) return;
    out.innerHTML = '<p class="msg">Checking\\u2026</p>';
    fetch('/verify/' + encodeURIComponent(code), { headers: { accept: 'application/json' } })
      .then(function (r) { return r.json().then(function (b) { return { r: r, b: b }; }); })
      .then(function (x) { if (x.r.ok) show(x.b); else out.innerHTML = '<p class="msg err">' + esc(x.b.detail || 'The check failed.') + '</p>'; })
      .catch(function () { out.innerHTML = '<p class="msg err">No connection. Try again.</p>'; });
  }
  form.addEventListener('submit', function (e) { e.preventDefault(); check(input.value.trim()); });
  if (input.value) check(input.value.trim());
})();
`;

export const VERIFY_PAGE_CSP = `default-src 'none'; script-src 'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`;

function escapeAttr(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A small, fast, self-contained page (no bundle): works on any phone that opens the label's link. */
export function renderVerifyPage(prefill = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Verify a vial or lot · Exolot</title>
<style>
body{font:16px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#14181f}
main{max-width:34rem;margin:0 auto;padding:1.25rem}
h1{font-size:1.3rem;margin:.2rem 0 1rem}
form{display:flex;gap:.5rem}
label{position:absolute;left:-9999px}
input{flex:1;font-size:1rem;padding:.7rem;border:1px solid #aab;border-radius:.4rem;min-width:0}
button{font-size:1rem;padding:.7rem 1rem;border:0;border-radius:.4rem;background:#1f4fd1;color:#fff}
.verdict{margin-top:1.2rem;font-size:2.2rem;font-weight:700;padding:1rem;border-radius:.6rem;display:flex;align-items:center;gap:.6rem}
.ok{background:#e2f6e7;color:#0b5d1e;border:2px solid #1e8a3a}.bad{background:#fde6e6;color:#8a1010;border:2px solid #c62828}
.mark{font-size:2.4rem}.msg{font-size:1.05rem}.err{color:#8a1010}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem .8rem;background:#fff;padding:1rem;border-radius:.5rem;border:1px solid #dde}
dt{font-weight:600;color:#445}dd{margin:0}.fine{font-size:.8rem;color:#667}
</style></head>
<body><main>
<h1>Verify an exosome vial or lot</h1>
<form id="f" action="/verify" method="get"><label for="code">Lot number, vial serial or label link</label>
<input id="code" name="code" autocomplete="off" autocapitalize="characters" placeholder="Lot, serial or scanned link" value="${escapeAttr(prefill)}"><button type="submit">Check</button></form>
<div id="out" aria-live="polite"></div>
<p class="fine">Topical use after microneedling or laser procedures only. Not for injection.</p>
</main><script>${SCRIPT}</script></body></html>`;
}
