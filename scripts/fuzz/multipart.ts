// multipart/form-data bodies for fuzzing: valid forms (encoded later by scripts/lib/multipart.ts)
// with hostile field names, file names and part types, and raw forms with broken framing.
import fc from 'fast-check';
import { contentType } from './http.ts';
import { hostileString } from './strings.ts';

export interface Part {
  field: string;
  name: string;
  type: string;
  data: Buffer;
}

/** Parts of a valid form: mostly image files, some with any name, type or content. */
export function formParts(images: fc.Arbitrary<Buffer>, maxImages: number): fc.Arbitrary<Part[]> {
  const part = fc.record({
    field: fc.oneof(fc.constantFrom('image', 'file', 'images[]', ''), hostileString),
    name: fc.oneof(fc.constantFrom('a.png', 'a.jpg', '', '../../etc/passwd', 'C:\\x.png', 'a"b.png', 'a\r\nX-Injected: 1.png'), hostileString),
    type: fc.oneof(fc.constantFrom('image/png', 'image/jpeg', 'application/octet-stream', ''), contentType),
    data: images,
  });
  return fc.oneof(
    { weight: 8, arbitrary: fc.array(part, { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.tuple(part, fc.integer({ min: maxImages - 1, max: maxImages + 2 })).map(([p, n]) => Array.from({ length: n }, () => p)) },
  );
}

const DEFECTS = ['none', 'no-final', 'truncate', 'lf-only', 'wrong-boundary', 'no-headers', 'preamble', 'no-colon', 'huge-header', 'unclosed-quote', 'nested'] as const;

export interface RawForm {
  contentType: string;
  body: Buffer;
}

function rawForm(boundary: string, header: string, parts: { name: string; data: Buffer }[], defect: (typeof DEFECTS)[number], cut: number): RawForm {
  const nl = defect === 'lf-only' ? '\n' : '\r\n';
  const b = defect === 'wrong-boundary' ? `${boundary}x` : boundary;
  const chunks: Buffer[] = [];
  if (defect === 'preamble') chunks.push(Buffer.from(`garbage before the first boundary${nl}`));
  for (const p of parts) {
    const disposition =
      defect === 'no-headers'
        ? ''
        : defect === 'no-colon'
          ? `Content-Disposition form-data name="f"${nl}`
          : defect === 'unclosed-quote'
            ? `Content-Disposition: form-data; name="f; filename="${p.name}${nl}`
            : defect === 'huge-header'
              ? `Content-Disposition: form-data; name="f"; filename="${'a'.repeat(100_000)}"${nl}`
              : `Content-Disposition: form-data; name="f"; filename="${p.name}"${nl}Content-Type: image/png${nl}`;
    const inner = defect === 'nested' ? `Content-Type: multipart/mixed; boundary=inner${nl}` : '';
    chunks.push(Buffer.from(`--${b}${nl}${disposition}${inner}${nl}`, 'utf8'), p.data, Buffer.from(nl));
  }
  if (defect !== 'no-final') chunks.push(Buffer.from(`--${b}--${nl}`));
  const body = Buffer.concat(chunks);
  const type = header.replaceAll('{b}', boundary);
  return { contentType: type, body: defect === 'truncate' ? body.subarray(0, cut % (body.length + 1)) : body };
}

/** Raw multipart bodies with random boundaries and broken framing, headers or Content-Type. */
export function rawForms(images: fc.Arbitrary<Buffer>): fc.Arbitrary<RawForm> {
  const boundary = fc.oneof(fc.stringMatching(/^[0-9A-Za-z'()+_,\-./:=?]{1,70}$/), fc.constantFrom('x', '-', '--', ' ', 'a b', 'x'.repeat(71), 'x'.repeat(300), 'é'));
  const header = fc.constantFrom(
    'multipart/form-data; boundary={b}',
    'multipart/form-data; boundary="{b}"',
    'multipart/form-data;boundary={b};charset=utf-8',
    'MULTIPART/FORM-DATA; BOUNDARY={b}',
    'multipart/form-data',
    'multipart/form-data; boundary=',
    'multipart/form-data; boundary="{b}',
    'multipart/form-data; boundary={b}; boundary=other',
    'multipart/mixed; boundary={b}',
  );
  const parts = fc.array(fc.record({ name: fc.constantFrom('a.png', '', 'x"y'), data: images }), { maxLength: 3 });
  return fc.record({ boundary, header, parts, defect: fc.constantFrom(...DEFECTS), cut: fc.nat() }).map(({ boundary: b, header: h, parts: ps, defect, cut }) => rawForm(b, h, ps, defect, cut));
}
