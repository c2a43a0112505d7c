/**
 * ${...} references. `${name}` is a parameter, substituted when the plan expands a variant;
 * `${component.attr}` (ip, name, id, and what the component's kind offers) and
 * `${certs.<certificate>.<attr>}` (fingerprint, ...) are runtime values, substituted just before a
 * step runs or an expectation is evaluated. `$${` writes a literal `${`.
 */
import { CERTIFICATE_ATTRS } from "../schema/types.ts";
import type { Path } from "../schema/source.ts";

const REF = /\$(\$?)\{([^}]*)\}/g;
export const RUNTIME_ATTRS = ["ip", "name", "id"] as const;
/** `${certs.<name>.<attr>}`: three parts, so it never reads as a component's `${name.attr}`. */
export const CERTS_REF = "certs";

export type Params = Record<string, string | number | boolean>;

export interface TemplateProblem {
  path: Path;
  message: string;
}

/** What runtime references may name: components (with the extra attributes of their kinds) and certificates. */
export interface RuntimeNames {
  components: Readonly<Record<string, readonly string[]>>;
  certificates?: readonly string[];
}

/** Substitutes parameters in every string of a plain YAML tree; reports unknown names. */
export function substituteParams(
  value: unknown,
  params: Params,
  names: RuntimeNames,
  path: Path = [],
  problems: TemplateProblem[] = [],
): { value: unknown; problems: TemplateProblem[] } {
  const walk = (v: unknown, p: Path): unknown => {
    if (typeof v === "string") return substituteString(v, params, names, p, problems);
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...p, i]));
    if (v && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, [...p, k])]));
    }
    return v;
  };
  return { value: walk(value, path), problems };
}

function substituteString(s: string, params: Params, names: RuntimeNames, path: Path, problems: TemplateProblem[]): unknown {
  const whole = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(s);
  if (whole && whole[1]! in params) return params[whole[1]!];
  const componentNames = Object.keys(names.components);
  const certificateNames = names.certificates ?? [];
  return s.replace(REF, (all, escape: string, name: string) => {
    if (escape) return all;
    const ref = name.trim();
    if (ref in params) return String(params[ref]);
    const parts = ref.split(".");
    if (parts.length === 3 && parts[0] === CERTS_REF) {
      const [, cert, attr] = parts as [string, string, string];
      if (!certificateNames.includes(cert)) {
        problems.push({ path, message: `\${${ref}} names no certificate; certificates: ${certificateNames.join(", ") || "none (declare them under `certificates`)"}` });
      } else if (!(CERTIFICATE_ATTRS as readonly string[]).includes(attr)) {
        problems.push({ path, message: `\${${ref}}: unknown attribute \`${attr}\`; expected one of ${CERTIFICATE_ATTRS.join(", ")}` });
      }
      return all;
    }
    if (ref.includes(".")) {
      const [comp, attr] = ref.split(".", 2) as [string, string];
      const attrs = [...RUNTIME_ATTRS, ...(names.components[comp] ?? [])];
      if (!componentNames.includes(comp)) {
        problems.push({ path, message: `\${${ref}} names no component; components: ${componentNames.join(", ") || "none"}` });
      } else if (!attrs.includes(attr)) {
        problems.push({ path, message: `\${${ref}}: unknown attribute \`${attr}\`; expected one of ${attrs.join(", ")}` });
      }
      return all;
    }
    const known = Object.keys(params);
    problems.push({
      path,
      message: `unknown parameter \${${ref}}; ${known.length ? `declared: ${known.join(", ")}` : "the scenario declares no params"}`,
    });
    return all;
  });
}

/** Substitutes declared parameters in a fixture's text; everything else is left for the software. */
export function substituteFixture(text: string, params: Params): string {
  return text.replace(REF, (all, escape: string, name: string) => {
    if (escape) return all;
    const ref = name.trim();
    return ref in params ? String(params[ref]) : all;
  });
}

/**
 * Resolves runtime references (`${lb.ip}`, `${certs.a.fingerprint}`) in the strings of a validated
 * tree, in place of copies. The lookup gets the first part and the rest (`certs`, `a.fingerprint`).
 */
export function resolveRuntime<T>(value: T, lookup: (component: string, attr: string) => string): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      return v.replace(REF, (all, escape: string, name: string) => {
        if (escape) return `\${${name}}`;
        const ref = name.trim();
        const dot = ref.indexOf(".");
        if (dot < 0) return all;
        return lookup(ref.slice(0, dot), ref.slice(dot + 1));
      });
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item)]));
    }
    return v;
  };
  return walk(value) as T;
}
