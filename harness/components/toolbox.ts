/** toolbox: a client container with curl, openssl, iproute2 and tcpdump, for `exec` steps. */
import { z } from "zod";
import { defineComponent } from "../registry.ts";

export default defineComponent({
  kind: "toolbox",
  description: "A client container (Debian with curl, openssl, python3, iproute2, tcpdump) that `exec` steps run in.",
  images: ["tools"],
  schema: z.strictObject({}),
  container() {
    return { image: "tools", command: ["sleep", "infinity"], ready: { none: true } };
  },
  actions: {},
  observables: {},
});
