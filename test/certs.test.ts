/** Declared certificates: validation, ordering, references, the openssl script, fingerprints and chains. */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { formatProblem } from "../harness/errors.ts";
import { resolveRuntime, substituteParams } from "../harness/plan/template.ts";
import { certificateScript, describeCertificates, parseCertificateOutput, type CertificateSpec } from "../harness/runtime/certs.ts";
import { REPO_ROOT } from "../harness/runtime/images.ts";
import { planText, problemsOf, VALID } from "./helpers/scenario-text.ts";

const WITH_CERTS = VALID.replace(
  "components:",
  `certificates:
  leaf: { cn: backend, dns: [backend], issuer: ca }
  ca: { cn: Test CA, ca: true }
components:`,
).replace("kind: toolbox", "kind: toolbox\n    certificates: [ca]");

const messages = (yaml: string) => problemsOf(yaml).map(formatProblem);

describe("certificates in the plan", () => {
  test("issuers come first; defaults filled in; the tools image is needed", () => {
    const v = planText(WITH_CERTS).variants[0]!;
    expect(v.certificates.map((c) => c.name)).toEqual(["ca", "leaf"]);
    expect(v.certificates[1]).toMatchObject({ cn: "backend", issuer: "ca", ca: false, key: "ec-p256", days: 30, dns: ["backend"] });
    expect(v.images).toContain("tools");
  });

  test("an unknown certificate in a component field is reported where it is written", () => {
    expect(messages(WITH_CERTS.replace("certificates: [ca]", "certificates: [cb]"))).toContainEqual(
      expect.stringMatching(/^case\.yaml:\d+:\d+: components\.client\.certificates\[0\]: unknown certificate `cb`; certificates: leaf, ca \(did you mean `ca`\?\)/),
    );
  });

  test("an issuer must be a declared CA, without cycles", () => {
    expect(messages(WITH_CERTS.replace("ca: { cn: Test CA, ca: true }", "ca: { cn: Test CA }"))).toContainEqual(
      expect.stringMatching(/certificates\.leaf\.issuer: `ca` is not a CA \(add `ca: true` to it\) and cannot issue `leaf`/),
    );
    expect(messages(WITH_CERTS.replace("issuer: ca }", "issuer: nope }"))).toContainEqual(
      expect.stringMatching(/certificates\.leaf\.issuer: unknown certificate `nope`/),
    );
    const cycle = WITH_CERTS.replace("ca: { cn: Test CA, ca: true }", "ca: { cn: Test CA, ca: true, issuer: ca2 }\n  ca2: { cn: Other, ca: true, issuer: ca }");
    expect(messages(cycle)).toContainEqual(expect.stringMatching(/issuer cycle: .*ca.*ca2.*ca/));
  });

  test("a common name and DNS names are checked before anything runs", () => {
    expect(messages(WITH_CERTS.replace("cn: backend", 'cn: "a/b"'))).toContainEqual(expect.stringMatching(/certificates\.leaf\.cn: expected letters/));
    expect(messages(WITH_CERTS.replace("dns: [backend]", 'dns: ["bad name"]'))).toContainEqual(expect.stringMatching(/certificates\.leaf\.dns\[0\]: expected a DNS name/));
  });

  test("${certs.<name>.<attr>} is checked against the declared certificates and attributes", () => {
    const r = substituteParams({ a: "${certs.a.fingerprint} ${certs.x.fingerprint} ${certs.a.colour}" }, {}, { components: { comp: [] }, certificates: ["a"] });
    expect(r.problems.map((p) => p.message.split(";")[0])).toEqual([
      "${certs.x.fingerprint} names no certificate",
      "${certs.a.colour}: unknown attribute `colour`",
    ]);
  });

  test("a scenario that names a certificate it does not declare is rejected", () => {
    expect(messages(VALID.replace("command: exit ${code}", "command: echo ${certs.a.fingerprint}"))).toContainEqual(
      expect.stringMatching(/\$\{certs\.a\.fingerprint\} names no certificate; certificates: none/),
    );
  });

  test("runtime lookup gets the certificate's name and attribute", () => {
    expect(resolveRuntime({ x: "${certs.a.fingerprint}/${lb.ip}" }, (c, a) => `${c}:${a}`).x).toBe("certs:a.fingerprint/lb:ip");
  });
});

describe("generation", () => {
  const specs: CertificateSpec[] = [
    { name: "ca", cn: "Test CA", ca: true, key: "ec-p256", days: 30 },
    { name: "leaf", cn: "edge", ca: false, issuer: "ca", dns: ["edge"], ips: ["10.0.0.1"], key: "rsa-2048", days: 7 },
  ];

  test("the script signs each certificate with its issuer and prints every file", () => {
    const script = certificateScript(specs);
    expect(script).toMatch(/openssl x509 -req -in ca\.csr -days 30 .*-signkey ca\.key/);
    expect(script).toMatch(/openssl x509 -req -in leaf\.csr -days 7 .*-CA ca\.crt -CAkey ca\.key/);
    expect(script).toContain("rsa_keygen_bits:2048");
    expect(script).toContain("subjectAltName=DNS:edge,IP:10.0.0.1");
    expect(script).toContain("basicConstraints=critical,CA:TRUE");
    expect(script).toContain("for f in ca.crt ca.key leaf.crt leaf.key; do");
  });

  test("output is split into files", () => {
    const files = parseCertificateOutput("==> a.crt\n-----BEGIN X-----\nAAA\n-----END X-----\n==> a.key\nKEY\n");
    expect([...files.keys()]).toEqual(["a.crt", "a.key"]);
    expect(files.get("a.key")).toBe("KEY\n");
  });

  test("fingerprints are SHA-256 of the DER; a chain holds the certificate and its intermediates, not the root", () => {
    const pem = (n: string) => readFileSync(join(REPO_ROOT, "test/fixtures/certs", `${n}.crt`), "utf8");
    const chainSpecs: CertificateSpec[] = [
      { name: "root", cn: "Test Root", ca: true, key: "ec-p256", days: 1 },
      { name: "mid", cn: "Test Intermediate", ca: true, issuer: "root", key: "ec-p256", days: 1 },
      { name: "leaf", cn: "edge", ca: false, issuer: "mid", key: "ec-p256", days: 1 },
    ];
    const files = new Map<string, string>();
    for (const n of ["root", "mid", "leaf"]) {
      files.set(`${n}.crt`, pem(n));
      files.set(`${n}.key`, "(no key in the repository)\n");
    }
    const certs = describeCertificates(chainSpecs, files);
    const der = (p: string) => Buffer.from(p.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
    expect(certs.get("leaf")!.fingerprint).toBe(createHash("sha256").update(der(pem("leaf"))).digest("hex"));
    expect(certs.get("leaf")!.subject).toBe("CN=edge");
    expect(certs.get("leaf")!.issuer).toBe("CN=Test Intermediate");
    expect(certs.get("leaf")!.chain).toBe(pem("leaf") + pem("mid"));
    expect(certs.get("mid")!.chain).toBe(pem("mid"));
    expect(certs.get("root")!.chain).toBe(pem("root"));
    expect(() => describeCertificates(chainSpecs, new Map([["root.crt", pem("root")]]))).toThrow(/certificate `root`: openssl printed no key/);
  });
});
