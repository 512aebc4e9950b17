/**
 * CodeMirror 6: the config editor (highlighting by config type) and the side-by-side diff shown
 * before a publish or a rollback (@codemirror/merge). Stream modes (properties, YAML) come from
 * @codemirror/legacy-modes.
 */
import { useEffect, useRef } from "preact/hooks";
import { basicSetup, EditorView } from "codemirror";
import { EditorState, type Extension } from "@codemirror/state";
import { MergeView } from "@codemirror/merge";
import { json } from "@codemirror/lang-json";
import { xml } from "@codemirror/lang-xml";
import { StreamLanguage } from "@codemirror/language";
import { properties } from "@codemirror/legacy-modes/mode/properties";
// YAML through the legacy stream mode as properties: highlighting is all the editor needs, and it is
// smaller than @codemirror/lang-yaml's full parser.
import { yaml } from "@codemirror/legacy-modes/mode/yaml";

export const TYPES = ["text", "json", "yaml", "properties", "xml", "html", "toml"];

function language(type: string): Extension {
  switch (type) {
    case "json":
      return json();
    case "yaml":
      return StreamLanguage.define(yaml);
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

/**
 * Uncontrolled: `value` seeds the editor once (mount it when the text is loaded), the editor owns the
 * text from then on and reports it through onChange. Pushing every parent render back into the editor
 * raced the keystrokes (a stale render replaced the text, which re-rendered, ...) and hung the page.
 */
export function Editor(props: { value: string; type: string; onChange?: (v: string) => void; readOnly?: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | undefined>(undefined);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  useEffect(() => {
    // A type switch rebuilds the editor for the new language, keeping what was typed.
    const doc = view.current?.state.doc.toString() ?? props.value;
    view.current?.destroy();
    view.current = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc,
        extensions: [
          basicSetup, language(props.type), EditorState.readOnly.of(!!props.readOnly),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) onChange.current?.(u.state.doc.toString());
          }),
        ],
      }),
    });
  }, [props.type, props.readOnly]);
  useEffect(() => () => view.current?.destroy(), []);
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
