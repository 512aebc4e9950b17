/**
 * CodeMirror 6: the config editor (highlighting by config type) and the side-by-side diff shown
 * before a publish or a rollback (@codemirror/merge).
 */
import { useEffect, useRef } from "preact/hooks";
import { basicSetup, EditorView } from "codemirror";
import { EditorState, type Extension } from "@codemirror/state";
import { MergeView } from "@codemirror/merge";
import { json } from "@codemirror/lang-json";
import { yaml } from "@codemirror/lang-yaml";
import { xml } from "@codemirror/lang-xml";
import { StreamLanguage } from "@codemirror/language";
import { properties } from "@codemirror/legacy-modes/mode/properties";

export const TYPES = ["text", "json", "yaml", "properties", "xml", "html", "toml"];

function language(type: string): Extension {
  switch (type) {
    case "json":
      return json();
    case "yaml":
      return yaml();
    case "xml":
    case "html":
      return xml();
    case "properties":
    case "toml":
      return StreamLanguage.define(properties);
    default:
      return [];
  }
}

export function Editor(props: { value: string; type: string; onChange?: (v: string) => void; readOnly?: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | undefined>(undefined);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  useEffect(() => {
    view.current = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: props.value,
        extensions: [
          basicSetup, language(props.type), EditorState.readOnly.of(!!props.readOnly),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) onChange.current?.(u.state.doc.toString());
          }),
        ],
      }),
    });
    return () => view.current?.destroy();
  }, [props.type, props.readOnly]);
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== props.value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.value } });
  }, [props.value]);
  return <div class="editor" data-testid="editor" ref={host} />;
}

export function Diff(props: { before: string; after: string; type: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const ro = [basicSetup, language(props.type), EditorState.readOnly.of(true), EditorView.editable.of(false)];
    const m = new MergeView({ parent: host.current!, a: { doc: props.before, extensions: ro }, b: { doc: props.after, extensions: ro } });
    return () => m.destroy();
  }, [props.before, props.after, props.type]);
  return <div class="diff" data-testid="diff" ref={host} />;
}
