// Types of plain scalars: the YAML 1.2 core schema (what the `yaml` library, Kubernetes' and Compose's readers
// agree on for the values we read), and YAML 1.1 as PyYAML's SafeLoader resolves it (what vLLM reads its
// `--config` file with).
//
// Why two: vLLM loads `--config` files with `yaml.safe_load` (PyYAML, YAML 1.1), so there `010` is 8, `1:30` is
// 90, `1_000` is 1000, `0x1F` is 31 and `yes/no/on/off` are booleans. Kubernetes manifests are read by kubectl and
// the API server through sigs.k8s.io/yaml, which decodes with go-yaml v2 (1.1 booleans and octals, no base 60)
// but, for fields typed as strings (container args and command, env values, image, resource quantities and
// labels: everything these readers take from a manifest), keeps the scalar's text; docker compose (compose-go)
// uses go-yaml v3, which is YAML 1.2 for untyped values. So manifests and compose files stay on the 1.2 core
// schema, and only vLLM config files use `resolveYaml11`.
//
// `resolveYaml11` follows PyYAML's implicit resolvers and constructors, not the `yaml` library's `version: '1.1'`
// schema, which differs from PyYAML where it matters here (it reads `y`/`n` as booleans, `1e3` and `08` as numbers;
// PyYAML reads all three as strings).

/** YAML 1.2 core schema resolution of a plain scalar. */
export function resolvePlain(v: string): unknown {
  if (v === '' || v === '~' || v === 'null' || v === 'Null' || v === 'NULL') return null;
  if (v === 'true' || v === 'True' || v === 'TRUE') return true;
  if (v === 'false' || v === 'False' || v === 'FALSE') return false;
  if (/^[-+]?[0-9]+$/.test(v)) return Number(v);
  if (/^0o[0-7]+$/.test(v)) return parseInt(v.slice(2), 8);
  if (/^0x[0-9a-fA-F]+$/.test(v)) return parseInt(v.slice(2), 16);
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(v)) return Number(v);
  if (/^[-+]?\.(inf|Inf|INF)$/.test(v)) return v[0] === '-' ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(v)) return NaN;
  return v;
}

// PyYAML's resolver patterns (yaml/resolver.py), one alternative per line there.
const PY_BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const PY_INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const PY_FLOAT = /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

function sexagesimal(digits: string): number {
  let n = 0;
  for (const part of digits.split(':')) n = n * 60 + Number(part);
  return n;
}

/**
 * YAML 1.1 resolution of a plain scalar as PyYAML's SafeLoader does it (vLLM's `--config` files). Timestamps stay
 * strings (no engine argument is a date).
 */
export function resolveYaml11(v: string): unknown {
  if (v === '' || v === '~' || v === 'null' || v === 'Null' || v === 'NULL') return null;
  if (PY_BOOL.test(v)) return /^(?:yes|true|on)$/i.test(v);
  if (PY_INT.test(v)) {
    let s = v.replace(/_/g, '');
    let sign = 1;
    if (s[0] === '-' || s[0] === '+') { if (s[0] === '-') sign = -1; s = s.slice(1); }
    if (s === '0') return 0;
    if (s.startsWith('0b')) return sign * parseInt(s.slice(2), 2);
    if (s.startsWith('0x')) return sign * parseInt(s.slice(2), 16);
    if (s[0] === '0') return sign * parseInt(s, 8);
    if (s.includes(':')) return sign * sexagesimal(s);
    return sign * Number(s);
  }
  if (PY_FLOAT.test(v)) {
    let s = v.replace(/_/g, '').toLowerCase();
    let sign = 1;
    if (s[0] === '-' || s[0] === '+') { if (s[0] === '-') sign = -1; s = s.slice(1); }
    if (s === '.inf') return sign * Infinity;
    if (s === '.nan') return NaN;
    if (s.includes(':')) {
      const dot = s.lastIndexOf('.');
      return sign * (sexagesimal(s.slice(0, dot)) + Number('0' + s.slice(dot)));
    }
    return sign * Number(s.endsWith('.') ? s + '0' : s);
  }
  return v;
}
