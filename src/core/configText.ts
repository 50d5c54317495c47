// Parsing config text as Hugging Face writes it: Python's json module emits NaN and Infinity,
// which JSON.parse rejects (Nemotron-H's time_step_limit is [0.0, Infinity]).

export type ParsedJson = { ok: true; value: unknown } | { ok: false; message: string };

/** Replaces bare NaN / Infinity / -Infinity tokens outside strings with null. */
export function replacePythonJsonLiterals(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') { out += text[i + 1] ?? ''; i++; } else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') { inString = true; out += c; continue; }
    if (text.startsWith('-Infinity', i)) { out += 'null'; i += 8; continue; }
    if (text.startsWith('Infinity', i)) { out += 'null'; i += 7; continue; }
    if (text.startsWith('NaN', i)) { out += 'null'; i += 2; continue; }
    out += c;
  }
  return out;
}

/** JSON.parse that also accepts Python's NaN/Infinity literals and never throws. */
export function parseConfigText(raw: string): ParsedJson {
  // A UTF-8 byte-order mark (Windows editors write one) is not part of the JSON.
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    try {
      return { ok: true, value: JSON.parse(replacePythonJsonLiterals(text)) };
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    }
  }
}

/**
 * A safetensors / pytorch checkpoint index reduced to `{ metadata }`: its total_size is all the engine reads.
 * The weight_map (thousands of tensor names) is not parsed when the metadata object can be cut out of the
 * text, as the hub writes it; otherwise the whole file is parsed, then reduced.
 */
export function parseCheckpointIndex(text: string): ParsedJson {
  const cut = /"metadata"\s*:\s*(\{[^{}]*\})/.exec(text);
  if (cut) {
    const meta = parseConfigText(cut[1]);
    if (meta.ok) return { ok: true, value: { metadata: meta.value } };
  }
  const whole = parseConfigText(text);
  if (!whole.ok) return whole;
  const v = whole.value;
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { ok: false, message: 'not a JSON object' };
  const metadata = (v as Record<string, unknown>).metadata;
  return { ok: true, value: metadata === undefined ? {} : { metadata } };
}
