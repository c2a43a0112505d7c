/** The fields every component has, whatever its kind, applied to the container its kind asks for. */
import type { GeneratedCertificate } from "../runtime/certs.ts";
import type { ContainerSpec } from "../runtime/types.ts";

/** Where the common `certificates` field installs a certificate's files. */
export const CERTIFICATE_DIR = "/etc/netrepro/certs";

/** The fields every component has (capAdd, sysctls, certificates) merged into what its definition asked for. */
export function withCommonFields(spec: ContainerSpec, fields: Record<string, unknown>, certificate: (name: string) => GeneratedCertificate): ContainerSpec {
  const capAdd = fields["capAdd"] as string[] | undefined;
  const sysctls = fields["sysctls"] as Record<string, string | number> | undefined;
  const certs = ((fields["certificates"] as { name: string }[] | undefined) ?? []).map((r) => certificate(r.name));
  const certFiles = certs.flatMap((c) => [
    { path: `${CERTIFICATE_DIR}/${c.name}.crt`, content: c.cert, mode: 0o644 },
    { path: `${CERTIFICATE_DIR}/${c.name}.chain.crt`, content: c.chain, mode: 0o644 },
    { path: `${CERTIFICATE_DIR}/${c.name}.key`, content: c.key, mode: 0o600 },
  ]);
  return {
    ...spec,
    ...(certFiles.length ? { files: [...(spec.files ?? []), ...certFiles] } : {}),
    ...(capAdd ? { capAdd: [...new Set([...(spec.capAdd ?? []), ...capAdd])] } : {}),
    ...(sysctls ? { sysctls: { ...spec.sysctls, ...Object.fromEntries(Object.entries(sysctls).map(([k, v]) => [k, String(v)])) } } : {}),
  };
}
