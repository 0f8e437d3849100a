// The dashboard's only assets, served from this process (no CDN): one
// stylesheet (screen and print) and one small script that enhances what
// already works without it. Their paths carry a hash of their content, so
// they are cached for good and a new release is fetched at once.

import { createHash } from "node:crypto";

const CSS = `
:root{--ink:#1b1f23;--muted:#5b6570;--line:#d8dde3;--soft:#f4f6f8;--accent:#0b5394;--del:#8a1c1c;--del-bg:#fbe4e4;--ins:#14532d;--ins-bg:#dcf2e3;--warn:#7a4b00;--warn-bg:#fff1d6;--bad:#8a1c1c;--ok:#14532d}
*{box-sizing:border-box}
html{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#fff}
body{margin:0}
a{color:var(--accent)}
header.top{display:flex;align-items:center;gap:1.5rem;padding:.5rem 1.25rem;border-bottom:1px solid var(--line);background:var(--soft)}
header.top .brand{font-weight:700;color:var(--ink);text-decoration:none;letter-spacing:.02em}
header.top nav{display:flex;gap:1rem;flex:1}
header.top nav a{text-decoration:none;color:var(--muted);padding:.25rem 0}
header.top nav a[aria-current=page]{color:var(--ink);border-bottom:2px solid var(--accent)}
header.top .who{margin:0;color:var(--muted);font-size:.9rem}
main{padding:1rem 1.25rem 3rem;max-width:90rem}
h1{font-size:1.35rem;margin:.25rem 0 .5rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
h3{font-size:1rem;margin:1rem 0 .35rem}
.lede{color:var(--muted);margin:0 0 1rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.3rem .5rem;border-bottom:1px solid var(--line)}
th{font-weight:600;color:var(--muted);font-size:.85rem;white-space:nowrap;background:#fff;position:sticky;top:0}
td.date,td.num{white-space:nowrap;font-variant-numeric:tabular-nums}
tr:hover td{background:#fafbfc}
code,.key{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
.tag{display:inline-block;padding:0 .4rem;margin:0 .2rem .1rem 0;border-radius:.6rem;background:var(--soft);border:1px solid var(--line);font-size:.8rem;white-space:nowrap}
.kind{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.muted{color:var(--muted)}
.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;padding:.75rem;background:var(--soft);border:1px solid var(--line);border-radius:4px;margin-bottom:1rem}
.filters label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted);gap:.15rem}
input,select,textarea,button{font:inherit}
input,select,textarea{padding:.25rem .4rem;border:1px solid #b8c0c8;border-radius:3px;background:#fff}
button{padding:.3rem .8rem;border:1px solid var(--accent);background:var(--accent);color:#fff;border-radius:3px;cursor:pointer}
button.secondary{background:#fff;color:var(--accent)}
button.link{border:0;background:none;color:var(--accent);padding:0;text-decoration:underline}
.actions{display:flex;gap:1rem;align-items:center;margin:.5rem 0 1rem}
.pager{margin-top:1rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0 0 1rem}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0}
.redline{white-space:pre-wrap;line-height:1.6;padding:.75rem;border:1px solid var(--line);border-radius:4px;background:#fff;max-width:60rem}
.redline del{color:var(--del);background:var(--del-bg);text-decoration:line-through}
.redline ins{color:var(--ins);background:var(--ins-bg);text-decoration:none;border-bottom:1px solid var(--ins)}
.redline del+ins,.redline ins+del{margin-left:.2em}
td.subject{white-space:nowrap}
form.mark{display:grid;grid-template-columns:1fr auto;gap:.25rem;min-width:15rem;margin:0}
form.mark select{grid-column:1/-1}
form.mark textarea{width:100%;resize:vertical}
.text{white-space:pre-wrap;max-width:60rem;padding:.5rem .75rem;border-left:3px solid var(--line);background:var(--soft)}
.columns{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
.status-healthy,.status-ok{color:var(--ok)}
.status-degraded,.status-stale{color:var(--warn)}
.status-failing,.status-quarantined,.status-down{color:var(--bad)}
.mark-reviewed{color:var(--ok)}.mark-action-needed{color:var(--bad);font-weight:600}.mark-not-applicable{color:var(--muted)}
.notice{padding:.5rem .75rem;border:1px solid var(--line);background:var(--warn-bg);border-radius:4px}
.matrix td,.matrix th{text-align:center}
.matrix th[scope=row]{text-align:left}
.matrix td.yes{background:var(--ins-bg)}
.matrix td.no{color:var(--muted)}
.matrix time{white-space:nowrap}
table.sources td:first-child,table.sources td:nth-child(6){white-space:nowrap}
dl.facts.compare-counts{grid-template-columns:repeat(3,max-content max-content)}
section.version{border-top:1px solid var(--line);margin-top:1rem}
.status-unreachable,.status-broken{color:var(--bad)}
.lifecycle{display:flex;gap:0;list-style:none;padding:0;margin:0 0 1rem}
.lifecycle li{padding:.25rem .75rem;border:1px solid var(--line);margin-right:-1px;color:var(--muted)}
.lifecycle li.known{color:var(--ink);background:var(--soft)}
body.standalone main{max-width:40rem;margin:1.5rem auto;font-size:15px}
body.standalone button{padding:.45rem 1rem}
.f{margin:1rem 0}.l{font-weight:600}.h{color:var(--muted);font-size:.9rem}.c{display:inline-block;margin:.1rem 1rem .1rem 0}.n{padding:.5rem;background:var(--ins-bg)}
@media (max-width:50rem){.columns{grid-template-columns:1fr}header.top{flex-wrap:wrap}}
@media print{
  html{font-size:10pt}
  header.top,.filters,.actions,.pager,form.mark,.no-print{display:none!important}
  main{padding:0;max-width:none}
  a{color:inherit;text-decoration:none}
  th{position:static}
  tr,li{break-inside:avoid}
  h2{break-after:avoid}
  .redline del{background:none;text-decoration:line-through}
  .redline ins{background:none;text-decoration:underline}
}
`;

// Enhancements only: every flow works without it.
//  - filter forms drop empty fields, so a shared URL holds only the filters in use;
//  - [data-print] buttons print the page;
//  - a review mark's select submits its form when changed, where the form asks for it.
const JS = `
document.addEventListener("submit",function(e){var f=e.target;if(!(f instanceof HTMLFormElement)||f.method!=="get")return;
for(var i=0;i<f.elements.length;i++){var el=f.elements[i];if(el.name&&"value"in el&&el.value===""){el.disabled=true}}
setTimeout(function(){for(var i=0;i<f.elements.length;i++)f.elements[i].disabled=false},0)});
document.addEventListener("click",function(e){var b=e.target;if(b instanceof Element&&b.hasAttribute("data-print")){e.preventDefault();window.print()}});
`;

const hash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);

export const ASSETS: Record<string, { body: string; type: string }> = {
  [`/assets/app.${hash(CSS)}.css`]: { body: CSS, type: "text/css; charset=utf-8" },
  [`/assets/app.${hash(JS)}.js`]: { body: JS, type: "text/javascript; charset=utf-8" },
};

export const ASSET_PATHS = {
  css: `/assets/app.${hash(CSS)}.css`,
  js: `/assets/app.${hash(JS)}.js`,
};
