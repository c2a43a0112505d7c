/**
 * YAML with positions: parses a scenario file and remembers where every value came from, so
 * that a problem found later (schema, cross-reference, plan) points at file:line:col.
 */
import { readFileSync } from "node:fs";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { InputError, type InputProblem, type SourcePos } from "../errors.ts";

export type PathSegment = string | number;
export type Path = readonly PathSegment[];

export function pathToString(path: Path): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? seg : `.${seg}`;
  }
  return out;
}

export class SourceDoc {
  readonly file: string;
  readonly data: unknown;
  private readonly valuePos: Map<string, SourcePos>;
  private readonly keyPos: Map<string, SourcePos>;

  constructor(file: string, data: unknown, valuePos: Map<string, SourcePos>, keyPos: Map<string, SourcePos>) {
    this.file = file;
    this.data = data;
    this.valuePos = valuePos;
    this.keyPos = keyPos;
  }

  /** The position of the value at path, or of its nearest ancestor that exists. */
  locate(path: Path, preferKey = false): SourcePos {
    for (let n = path.length; n >= 0; n--) {
      const key = pathToString(path.slice(0, n));
      const pos = (preferKey ? this.keyPos.get(key) : undefined) ?? this.valuePos.get(key) ?? this.keyPos.get(key);
      if (pos) return pos;
    }
    return { file: this.file, line: 1, col: 1 };
  }

  problem(path: Path, message: string, preferKey = false): InputProblem {
    return { pos: this.locate(path, preferKey), path: pathToString(path), message };
  }
}

export function loadSource(file: string, displayName = file): SourceDoc {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new InputError([
      { pos: { file: displayName, line: 1, col: 1 }, path: "", message: `cannot read the file: ${(err as Error).message}` },
    ]);
  }
  return parseSource(text, displayName);
}

export function parseSource(text: string, file: string): SourceDoc {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourcePos => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  if (doc.errors.length > 0) {
    throw new InputError(
      doc.errors.map((e) => ({
        pos: at(e.pos[0]),
        path: "",
        message: `YAML syntax error: ${e.message.split("\n")[0]}`,
      })),
    );
  }
  const valuePos = new Map<string, SourcePos>();
  const keyPos = new Map<string, SourcePos>();
  const walk = (node: Node | null | undefined, path: PathSegment[]): void => {
    if (!node) return;
    if (node.range) valuePos.set(pathToString(path), at(node.range[0]));
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const child = [...path, k];
        const keyNode = pair.key as Node | null;
        if (keyNode?.range) keyPos.set(pathToString(child), at(keyNode.range[0]));
        walk(pair.value as Node | null, child);
        if (!pair.value && keyNode?.range) valuePos.set(pathToString(child), at(keyNode.range[0]));
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item as Node, [...path, i]));
    }
  };
  walk(doc.contents as Node | null, []);
  return new SourceDoc(file, doc.toJS({ maxAliasCount: 100 }), valuePos, keyPos);
}
