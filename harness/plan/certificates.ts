/** The scenario's declared certificates, in the order they can be made. */
import type { InputProblem } from "../errors.ts";
import type { CertificateSpec } from "../runtime/certs.ts";
import { didYouMean } from "../schema/issues.ts";
import type { SourceDoc } from "../schema/source.ts";
import type { CertificateRef } from "../schema/types.ts";

type CertificateFields = Omit<CertificateSpec, "name" | "issuer"> & { issuer?: CertificateRef | undefined };

/** Certificates in the order they can be made (issuers first); an issuer must be a declared CA, with no cycle. */
export function planCertificates(doc: SourceDoc, declared: Record<string, unknown>, problems: InputProblem[]): CertificateSpec[] {
  const certs = declared as Record<string, CertificateFields>;
  const names = Object.keys(certs);
  const ordered: CertificateSpec[] = [];
  const done = new Set<string>();
  const visit = (name: string, trail: string[]): boolean => {
    if (done.has(name)) return true;
    const c = certs[name]!;
    const issuer = c.issuer?.name;
    if (issuer !== undefined) {
      const path = ["certificates", name, "issuer"];
      if (!(issuer in certs)) {
        problems.push(doc.problem(path, `unknown certificate \`${issuer}\`; certificates: ${names.join(", ")}${didYouMean(issuer, names)}`));
        return false;
      }
      if (!certs[issuer]!.ca) {
        problems.push(doc.problem(path, `\`${issuer}\` is not a CA (add \`ca: true\` to it) and cannot issue \`${name}\``));
        return false;
      }
      if (trail.includes(issuer) || issuer === name) {
        problems.push(doc.problem(path, `issuer cycle: ${[...trail, name, issuer].join(" → ")}`));
        return false;
      }
      if (!visit(issuer, [...trail, name])) return false;
    }
    const { issuer: _ref, ...fields } = c;
    ordered.push({ name, ...fields, ...(issuer !== undefined ? { issuer } : {}) });
    done.add(name);
    return true;
  };
  for (const n of names) visit(n, []);
  return ordered;
}
