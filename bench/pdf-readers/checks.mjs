// Quality checks on a reader's text, per document. Each check is a yes/no a person reading
// the text would agree with; the phrases are from the PDFs as printed.

/** Whitespace collapsed to single spaces. */
const flat = (t) => t.replace(/\s+/g, ' ');
/** All whitespace removed (CJK readers may or may not put spaces between glyphs). */
const bare = (t) => t.replace(/\s+/g, '');
const has = (t, s) => flat(t).includes(s);
const count = (t, re) => (t.match(re) ?? []).length;
const bad = /[\uFFFD\uE000-\uF8FF]/g;

/** `ref` is the reference reader's text of the same PDF (or null): counts are compared to it. */
const near = (got, want) => want === 0 || Math.abs(got - want) / want <= 0.05;

/** Share of the reference's whitespace-separated words (with repeats) found in `t`. */
export function recall(t, ref) {
  const words = (x) => x.replace(/^--- Page \d+ ---$/gm, ' ').split(/\s+/).filter(Boolean);
  const got = new Map();
  for (const w of words(t)) got.set(w, (got.get(w) ?? 0) + 1);
  let hit = 0;
  let total = 0;
  for (const w of words(ref)) {
    total++;
    const n = got.get(w) ?? 0;
    if (n > 0) {
      hit++;
      got.set(w, n - 1);
    }
  }
  return total ? hit / total : 1;
}

const wordsCheck = {
  id: 'words',
  what: "≥ 99% of the reference's words found as words (nothing dropped, split or glued)",
  test: (t, ref) => ref == null || recall(t, ref) >= 0.99,
};

/** name → [{ id, what, test(text, ref) → boolean }] */
export const CHECKS = {
  'refcard-en': [
    {
      id: 'cell whole',
      what: 'a wrapped table cell reads as one sentence (not interleaved with the cell beside it)',
      test: (t) => has(t, 'Read online help for every command and many configuration files.'),
    },
    {
      id: 'panel whole',
      what: "the left panel's cell is not mixed with the right panel on the same lines",
      test: (t) => has(t, 'Interface configuration (if not controlled via network-manager).'),
    },
    {
      id: 'paragraph whole',
      what: "the middle panel's paragraph reads through",
      test: (t) => has(t, 'This document may be used under the terms of the GNU General Public License version 3 or higher.'),
    },
    {
      id: 'cells apart',
      what: 'cells are not glued to their neighbours (a space or line between)',
      test: (t) =>
        ['Read online help', 'Interface configuration', 'Brief help', 'Write package selections', 'Copy files to other'].every(
          (p) => new RegExp(`(^|[\\s|])${p}`).test(t),
        ),
    },
    {
      id: 'blocks apart',
      what: "one panel's last line is not glued to the next panel's first (“versa).Legal”)",
      test: (t) => has(t, '(and vice versa).') && !/versa\)\.Legal/.test(t) && !/refcardDebian/.test(t),
    },
    wordsCheck,
    {
      id: 'section order',
      what: 'a heading comes right before its own table (Getting Help → its first cell)',
      test: (t) => /Getting Help\s+(man page or man\s+bash\s+)?Read online help/.test(t),
    },
  ],
  'octave-refcard': [
    {
      id: 'rows',
      what: "a command | description row on one line, its cells apart",
      test: (t) =>
        /^[ \t]*octave --eval code[ \t]+Evaluate code using Octave[ \t]*$/m.test(t) &&
        /^[ \t]*quit or exit[ \t]+exit Octave[ \t]*$/m.test(t),
    },
    {
      id: 'column 2 whole',
      what: "the middle column's paragraph reads through (not merged with the columns beside it)",
      test: (t) => has(t, 'Square brackets delimit literal matrices. Commas separate elements on the same row. Semicolons separate rows.'),
    },
    {
      id: 'column 3 whole',
      what: "the right column's paragraph reads through",
      test: (t) => has(t, 'Specify a range of values beginning with base with no elements greater than limit.'),
    },
    {
      id: 'ligatures',
      what: 'fi/fl ligatures come out as letters (“file”, not “ﬁle”)',
      test: (t) => !/[\uFB00-\uFB06]/.test(t) && has(t, 'run Octave on commands in file') && has(t, 'briefly describe command'),
    },
    wordsCheck,
  ],
  'fhs-3.0': [
    {
      id: 'pages',
      what: '50 page markers',
      test: (t) => count(t, /^--- Page \d+ ---$/gm) === 50,
    },
    {
      id: 'rows in order',
      what: 'the Directory | Description table reads row by row',
      test: (t) => /bin\s+Essential command binaries\s+boot\s+Static files of the boot loader\s+dev\s+Device files/.test(t),
    },
    {
      id: 'row on a line',
      what: "each row's two cells on one line, apart",
      test: (t) => /^\s*bin[ \t]+Essential command binaries[ \t]*$/m.test(t) && /^\s*boot[ \t]+Static files of the boot loader[ \t]*$/m.test(t),
    },
    wordsCheck,
  ],
  'refcard-ja': [
    {
      id: 'phrases',
      what: 'Japanese phrases read right (kana and kanji, no mojibake)',
      test: (t) =>
        ['Debianリファレンスカード', 'ネットワークインターフェイスを上記ファイルに従い起動/停止。'].every((p) => bare(t).includes(p)),
    },
    {
      id: 'glyphs',
      what: 'CJK/kana count within 5% of the reference, no U+FFFD or private-use',
      test: (t, ref) =>
        count(t, bad) === 0 &&
        (ref == null || near(count(t, /[\u3040-\u30ff\u4e00-\u9fff]/g), count(ref, /[\u3040-\u30ff\u4e00-\u9fff]/g))),
    },
  ],
  'refcard-ru': [
    {
      id: 'phrases',
      what: 'Russian phrases read right',
      test: (t) => ['Вывести список пакетов, которым нужен данный пакет.', 'Обновить содержимое списка пакетов'].every((p) => has(t, p)),
    },
    {
      id: 'glyphs',
      what: 'Cyrillic count within 5% of the reference, no U+FFFD or private-use',
      test: (t, ref) =>
        count(t, bad) === 0 && (ref == null || near(count(t, /[\u0400-\u04ff]/g), count(ref, /[\u0400-\u04ff]/g))),
    },
  ],
  'refcard-zh_CN': [
    {
      id: 'phrases',
      what: 'Chinese phrases read right',
      test: (t) => ['Debian参考卡片', '本文档版权适用于GNU通用公共许可版本3或更高版本的相关条款。'].every((p) => bare(t).includes(p)),
    },
    {
      id: 'glyphs',
      what: 'CJK count within 5% of the reference, no U+FFFD or private-use',
      test: (t, ref) =>
        count(t, bad) === 0 && (ref == null || near(count(t, /[\u4e00-\u9fff]/g), count(ref, /[\u4e00-\u9fff]/g))),
    },
  ],
};

/** Runs the checks of `name` on `text`; returns the ids that failed and the count passed. */
export function judge(name, text, ref) {
  const failed = [];
  let passed = 0;
  for (const c of CHECKS[name] ?? []) {
    let ok = false;
    try {
      ok = c.test(text, ref);
    } catch {
      ok = false;
    }
    if (ok) passed++;
    else failed.push(c.id);
  }
  return { passed, total: (CHECKS[name] ?? []).length, failed };
}
