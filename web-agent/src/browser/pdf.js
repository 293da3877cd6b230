// The PDF reader's glue (browser/attach.rs calls it): pdf.js, imported from the URL the
// page gave (`openAgent`'s pdfUrl) the first time a PDF is attached, never before. Its
// worker, `pdf.worker.min.mjs`, sits beside it, and so does `cmaps/`, the character maps
// of fonts a PDF names without embedding them (CJK mostly), each fetched only when a PDF
// needs it: without them such text reads as nothing.
//
// readPdf(url, bytes, maxPages) resolves to {pages, text}: the text of each page after a
// "--- Page N ---" line. It rejects with an Error whose `name` says why: "TooManyPages"
// (with `pages`; nothing is read past the page count), "Encrypted", "Unreadable" or
// "ReaderUnavailable".

let library = null;
let cMapUrl = null;
// One pdf.js worker for the page, started with the first PDF and kept: a document's
// `destroy()` leaves a worker it was given running.
let worker = null;

function load(url) {
  if (!library) {
    const href = new URL(url, globalThis.location.href).href;
    library = import(href).then(
      (pdfjs) => {
        pdfjs.GlobalWorkerOptions.workerSrc = new URL('pdf.worker.min.mjs', href).href;
        cMapUrl = new URL('cmaps/', href).href;
        return pdfjs;
      },
      (error) => {
        // A later attach may try again (a network blip, a build without pdf.js fixed).
        library = null;
        throw named('ReaderUnavailable', `the PDF reader could not be loaded (${error?.message ?? error})`);
      },
    );
  }
  return library;
}

function named(name, message) {
  const error = new Error(message);
  error.name = name;
  return error;
}

// A page's text items joined by where they sit, not only by pdf.js's end-of-line marks
// (which it leaves out between blocks: "vice versa).Legal Notice"): an item that starts
// on another line, or left of where the last one ended (the next column, the next cell),
// starts a new line; a gap wider than a sixth of the font size is a space. A superscript
// or subscript stays on its line. Measured against plain joining on real PDFs (reference
// cards in several columns, tables, Japanese, Chinese and Russian text): never fewer words.
export function joinItems(items) {
  let out = '';
  let last = null;
  for (const item of items) {
    if (typeof item.str !== 'string') continue; // a marked-content marker
    if (item.str === '') {
      if (item.hasEOL && out !== '' && !out.endsWith('\n')) out += '\n';
      if (last && item.hasEOL) last.eol = true;
      continue;
    }
    const [a, b, c, d, x, y] = item.transform;
    const size = Math.hypot(c, d) || Math.hypot(a, b) || 1;
    if (last && !last.eol && out !== '' && !out.endsWith('\n')) {
      const sameLine = Math.abs(y - last.y) < Math.max(size, last.size) * 0.6;
      if (!sameLine || x < last.xEnd - size) {
        out = `${out.replace(/[ \t]+$/, '')}\n`;
      } else if (x - last.xEnd > size * 0.15 && !/\s$/.test(out) && !/^\s/.test(item.str)) {
        out += ' ';
      }
    }
    out += item.str;
    if (item.hasEOL) out += '\n';
    last = { y, size, xEnd: x + item.width, eol: item.hasEOL };
  }
  return out;
}

export async function readPdf(url, bytes, maxPages) {
  const pdfjs = await load(url);
  if (!worker || worker.destroyed) worker = new pdfjs.PDFWorker({ name: 'ferry-pdf' });
  const task = pdfjs.getDocument({
    data: bytes,
    worker,
    cMapUrl,
    cMapPacked: true,
    // pdf.js 6 compiles nothing at run time; kept so an older build would not either.
    isEvalSupported: false,
    // Text only: no fonts installed in the page, no system fonts, no wasm image decoders.
    disableFontFace: true,
    useSystemFonts: false,
    useWasm: false,
    stopAtErrors: false,
    verbosity: 0,
  });
  let doc;
  try {
    doc = await task.promise;
  } catch (error) {
    await task.destroy().catch(() => {});
    if (error?.name === 'PasswordException') {
      throw named('Encrypted', 'the PDF is protected by a password');
    }
    throw named('Unreadable', `the PDF could not be read (${error?.message ?? error})`);
  }
  try {
    const pages = doc.numPages;
    if (pages > maxPages) {
      const error = named('TooManyPages', `the PDF has ${pages} pages; at most ${maxPages} are taken`);
      error.pages = pages;
      throw error;
    }
    const parts = [];
    for (let n = 1; n <= pages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      parts.push(`--- Page ${n} ---\n${joinItems(content.items).trim()}`);
      page.cleanup();
    }
    return { pages, text: parts.join('\n\n') };
  } catch (error) {
    if (error?.name === 'TooManyPages') throw error;
    throw named('Unreadable', `the PDF could not be read (${error?.message ?? error})`);
  } finally {
    await task.destroy().catch(() => {});
  }
}
