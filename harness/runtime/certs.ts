/**
 * Certificates declared by a scenario, made fresh for every run with openssl (3.0, in the tools
 * image) in a one-shot container with no network. Nothing is committed: the PEMs and keys go to
 * the run's artifacts (certs/), and fingerprints are computed here from the generated files.
 */
import { X509Certificate } from "node:crypto";
import { EnvironmentError, errorMessage } from "../errors.ts";
import { engine } from "./docker.ts";

export interface CertificateSpec {
  name: string;
  cn: string;
  ca: boolean;
  /** The name of the CA that signs it; absent: self-signed. */
  issuer?: string;
  dns?: string[] | undefined;
  ips?: string[] | undefined;
  key: "ec-p256" | "rsa-2048";
  days: number;
}

export interface GeneratedCertificate {
  name: string;
  spec: CertificateSpec;
  /** The certificate alone (PEM). */
  cert: string;
  /** The certificate followed by its intermediates, without the root: what a server sends. */
  chain: string;
  /** The private key (PEM). */
  key: string;
  /** SHA-256 of the DER, lower-case hex without separators (as `sha256sum` prints it). */
  fingerprint: string;
  serial: string;
  subject: string;
  issuer: string;
  notAfter: string;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function extensions(c: CertificateSpec): string {
  const lines = c.ca
    ? ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"]
    : ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment", "extendedKeyUsage=serverAuth,clientAuth"];
  lines.push("subjectKeyIdentifier=hash");
  if (c.issuer) lines.push("authorityKeyIdentifier=keyid");
  const san = [...(c.dns ?? []).map((d) => `DNS:${d}`), ...(c.ips ?? []).map((ip) => `IP:${ip}`)];
  if (san.length) lines.push(`subjectAltName=${san.join(",")}`);
  return lines.join("\n");
}

/** The shell script that makes every certificate (issuers first) and prints each file behind a `==> name` line. */
export function certificateScript(specs: readonly CertificateSpec[]): string {
  const out = ["set -eu", "umask 077", "mkdir -p /out", "cd /out"];
  for (const c of specs) {
    const n = c.name;
    out.push(
      c.key === "rsa-2048"
        ? `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ${n}.key 2>/dev/null`
        : `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ${n}.key`,
      `openssl req -new -key ${n}.key -subj ${quote(`/CN=${c.cn}`)} -out ${n}.csr`,
      `printf '%s\\n' ${quote(extensions(c))} > ${n}.ext`,
      `openssl x509 -req -in ${n}.csr -days ${c.days} -sha256 -set_serial 0x$(openssl rand -hex 12) -extfile ${n}.ext ` +
        (c.issuer ? `-CA ${c.issuer}.crt -CAkey ${c.issuer}.key` : `-signkey ${n}.key`) +
        ` -out ${n}.crt 2>${n}.err || { cat ${n}.err >&2; exit 1; }`,
      `rm -f ${n}.csr ${n}.ext ${n}.err`,
    );
  }
  out.push(`for f in ${specs.map((c) => `${c.name}.crt ${c.name}.key`).join(" ")}; do printf '==> %s\\n' "$f"; cat "$f"; done`);
  return out.join("\n");
}

/** Splits the script's output into files. */
export function parseCertificateOutput(text: string): Map<string, string> {
  const files = new Map<string, string>();
  let current: string | undefined;
  let buf: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^==> (\S+)$/.exec(line);
    if (m) {
      if (current) files.set(current, `${buf.join("\n").trim()}\n`);
      current = m[1]!;
      buf = [];
    } else if (current) buf.push(line);
  }
  if (current) files.set(current, `${buf.join("\n").trim()}\n`);
  return files;
}

/** Turns generated PEMs into certificates with their fingerprints and chains. */
export function describeCertificates(specs: readonly CertificateSpec[], files: Map<string, string>): Map<string, GeneratedCertificate> {
  const out = new Map<string, GeneratedCertificate>();
  for (const spec of specs) {
    const cert = files.get(`${spec.name}.crt`);
    const key = files.get(`${spec.name}.key`);
    if (!cert || !key) throw new EnvironmentError(`certificate \`${spec.name}\`: openssl printed no ${cert ? "key" : "certificate"}`);
    const x = new X509Certificate(cert);
    // The chain a server sends: the certificate and every issuer that is not a root.
    let chain = cert;
    for (let up = spec.issuer ? out.get(spec.issuer) : undefined; up?.spec.issuer; up = out.get(up.spec.issuer)) chain += up.cert;
    out.set(spec.name, {
      name: spec.name,
      spec,
      cert,
      chain,
      key,
      fingerprint: x.fingerprint256.replace(/:/g, "").toLowerCase(),
      serial: x.serialNumber.toLowerCase(),
      subject: x.subject.replace(/\n/g, ", "),
      issuer: x.issuer.replace(/\n/g, ", "),
      notAfter: new Date(x.validTo).toISOString(),
    });
  }
  return out;
}

/** Demultiplexes a non-TTY container log buffer into stdout and stderr. */
function demux(buf: Buffer): { stdout: string; stderr: string } {
  const parts = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  let off = 0;
  while (off + 8 <= buf.length) {
    const size = buf.readUInt32BE(off + 4);
    (buf[off] === 2 ? parts.stderr : parts.stdout).push(buf.subarray(off + 8, off + 8 + size));
    off += 8 + size;
  }
  return { stdout: Buffer.concat(parts.stdout).toString("utf8"), stderr: Buffer.concat(parts.stderr).toString("utf8") };
}

/**
 * Runs the script in a container of `image` (labelled as the run's, so teardown and the sweep
 * find it if this process dies) and returns the certificates by name.
 */
export async function generateCertificates(
  specs: readonly CertificateSpec[],
  opts: { image: string; labels: Record<string, string>; created?: (id: string) => void },
): Promise<Map<string, GeneratedCertificate>> {
  const { docker } = await engine();
  const container = await docker.createContainer({
    Image: opts.image,
    Entrypoint: ["sh", "-c", certificateScript(specs)],
    Labels: { ...opts.labels, "netrepro.component": "certificates" },
    HostConfig: { NetworkMode: "none" },
  });
  opts.created?.(container.id);
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const { stdout, stderr } = demux((await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
    if (StatusCode !== 0) {
      throw new EnvironmentError(`generating certificates failed (openssl exit ${StatusCode}): ${stderr.trim().slice(-800)}`);
    }
    return describeCertificates(specs, parseCertificateOutput(stdout));
  } catch (err) {
    if (err instanceof EnvironmentError) throw err;
    throw new EnvironmentError(`generating certificates failed: ${errorMessage(err)}`, { cause: err });
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}
