// Small PDFs written by hand for tests and benchmarks: pages of Helvetica text, with a
// correct cross-reference table, so a real PDF reader (pdf.js) opens them.

/**
 * A PDF with one page for each content stream of `streams` (PDF text operators such as
 * `BT /F1 18 Tf 72 720 Td (Hello) Tj ET`, with font `F1` Helvetica), as a Buffer.
 */
export function pdfOfStreams(streams) {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${streams.map((_, i) => `${4 + 2 * i} 0 R`).join(' ')}] /Count ${streams.length} >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  for (const [i, stream] of streams.entries()) {
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + 2 * i} 0 R >>`,
      `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    );
  }
  let out = '%PDF-1.4\n';
  const offsets = [];
  for (const [i, body] of objects.entries()) {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  }
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** A PDF with one page for each of `pages`, each showing its text on one line, as bytes. */
export function textPdf(pages) {
  return [...pdfOfStreams(pages.map((text) => `BT /F1 18 Tf 72 720 Td (${text}) Tj ET`))];
}
