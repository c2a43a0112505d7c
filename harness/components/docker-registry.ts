/** docker-registry: a container registry (Debian's docker-registry, distribution 2.8) on plain HTTP :5000, no auth. */
import { z } from "zod";
import { defineComponent } from "../registry.ts";

export default defineComponent({
  kind: "docker-registry",
  description:
    "A container registry (Debian's docker-registry, distribution 2.8) on plain HTTP port 5000 without authentication; " +
    "its log has a line per HTTP request (blob uploads, manifests).",
  images: ["registry"],
  schema: z.strictObject({}),
  container() {
    return { image: "registry", ready: { log: /listening on .*:5000/ } };
  },
  actions: {},
  observables: {},
});
