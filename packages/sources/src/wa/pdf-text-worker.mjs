// The PDF text library (pdf.js) runs here, in a worker thread, because it only
// answers through promises while a source's `parse` is synchronous: the
// calling thread waits on a shared flag (Atomics.wait) and then takes the one
// message this worker leaves on its port (receiveMessageOnPort). Its heap is
// capped by the caller (`resourceLimits`), so a hostile PDF exhausts this
// thread's memory, not the service's.
//
// Plain JavaScript on purpose: a worker thread is started from a file that
// Node runs as it is, whether regwatch runs from the TypeScript sources (tsx,
// vitest) or from the CLI bundle.
import { workerData } from "node:worker_threads";

const { port, signal, data, pdfjsUrl, standardFontDataUrl, cMapUrl, maxPages } = workerData;

/** How far a transform may turn before its text counts as rotated (not read into lines). */
const UPRIGHT = 0.01;

/** One page's text pieces as [text, x, y, width, font size], relative to the page's lower left corner. */
async function pageItems(doc, number) {
  const page = await doc.getPage(number);
  const [x0, y0, x1, y1] = page.view;
  const content = await page.getTextContent({ disableNormalization: false });
  const items = [];
  let rotated = 0;
  for (const item of content.items) {
    if (typeof item.str !== "string" || item.str === "") continue;
    const [a, b, , d, e, f] = item.transform;
    // Rotated or mirrored text is not read into lines; sheared text (an italic imitated by a skew,
    // `c` alone) is upright and read.
    if (Math.abs(b) > UPRIGHT * Math.abs(a) || a <= 0 || d <= 0) {
      if (item.str.trim()) rotated++;
      continue;
    }
    items.push([item.str, e - x0, f - y0, item.width, Math.abs(d)]);
  }
  page.cleanup();
  return { number, width: x1 - x0, height: y1 - y0, rotation: page.rotate, items, rotated };
}

async function read() {
  const pdfjs = await import(pdfjsUrl);
  const task = pdfjs.getDocument({
    data: new Uint8Array(data),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    standardFontDataUrl,
    cMapUrl,
    cMapPacked: true,
    verbosity: 0,
  });
  const doc = await task.promise;
  try {
    if (doc.numPages > maxPages) return { ok: false, kind: "too-many-pages", pages: doc.numPages };
    const { info } = await doc.getMetadata();
    const pages = [];
    for (let n = 1; n <= doc.numPages; n++) pages.push(await pageItems(doc, n));
    return { ok: true, info: info ?? {}, pages };
  } finally {
    await doc.destroy();
  }
}

let answer;
try {
  answer = await read();
} catch (err) {
  const name = err && typeof err === "object" && "name" in err ? String(err.name) : "Error";
  const message = err && typeof err === "object" && "message" in err ? String(err.message) : String(err);
  answer = { ok: false, kind: name === "PasswordException" ? "password" : "unreadable", name, message };
}
try {
  port.postMessage(answer);
} catch (err) {
  port.postMessage({ ok: false, kind: "unreadable", name: "DataCloneError", message: String(err) });
} finally {
  port.close();
  // Raised last, and always: the caller sleeps on this flag until it moves.
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}
