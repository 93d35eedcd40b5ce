// The panel's code editor: CodeMirror 6 in an anywidget view.
//
// Synced traits: `value` (the text), `language` (python / json / yaml / markdown / text)
// and `read_only`. Typing is sent to the kernel debounced (one message per pause, not per
// key) and flushed at once when the editor loses focus, which happens before a click on
// Save reaches the kernel: Save always gets the latest text. Colours come from JupyterLab's
// CSS variables (editor.css), so the editor follows the light and dark themes.
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { json } from "@codemirror/lang-json";
import { markdownLanguage } from "@codemirror/lang-markdown";
import { python } from "@codemirror/lang-python";
import { yaml } from "@codemirror/lang-yaml";
import { bracketMatching, indentOnInput, LanguageSupport, syntaxHighlighting } from "@codemirror/language";
import { Compartment, EditorState } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";

const DEBOUNCE_MS = 300;
// GitHub-flavoured Markdown without `markdown()`'s HTML-in-Markdown and tag completion,
// which would pull lang-html, lang-css and lang-javascript into the bundle (~170 kB).
const markdown = () => new LanguageSupport(markdownLanguage);
const LANGUAGES = { python, json, yaml, markdown };

function languageExtension(name) {
  const make = LANGUAGES[name];
  return make ? make() : [];
}

function readOnlyExtension(on) {
  return [EditorState.readOnly.of(on), EditorView.editable.of(!on)];
}

function render({ model, el }) {
  const language = new Compartment();
  const readOnly = new Compartment();
  let timer = null;
  let view = null;

  const flush = () => {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    const text = view.state.doc.toString();
    if (text !== model.get("value")) {
      model.set("value", text);
      model.save_changes();
    }
  };

  // A fresh state (no undo history into another artifact's text) with the current traits.
  const makeState = (doc) =>
    EditorState.create({
      doc,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightActiveLine(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        syntaxHighlighting(classHighlighter),
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        language.of(languageExtension(model.get("language"))),
        readOnly.of(readOnlyExtension(!!model.get("read_only"))),
        EditorView.updateListener.of((update) => {
          if (!update.docChanged) return;
          if (timer !== null) clearTimeout(timer);
          timer = setTimeout(flush, DEBOUNCE_MS);
        }),
        EditorView.domEventHandlers({ blur: () => flush() }),
      ],
    });

  view = new EditorView({ parent: el, state: makeState(model.get("value") || "") });
  el.classList.add("pc-code-editor");
  // CodeMirror re-measures line heights when its own box resizes, but this box has a fixed
  // height: a theme switch or a code font-size change only resizes the content. Without
  // this the gutter's numbers drift away from their lines.
  const resized = typeof ResizeObserver === "function" ? new ResizeObserver(() => view.requestMeasure()) : null;
  resized?.observe(view.contentDOM);

  const onValue = () => {
    const text = model.get("value") || "";
    if (text === view.state.doc.toString()) return;
    if (timer !== null) {  // the kernel replaced the text (another artifact, a discard): it wins
      clearTimeout(timer);
      timer = null;
    }
    view.setState(makeState(text));
  };
  const onLanguage = () => {
    view.dispatch({ effects: language.reconfigure(languageExtension(model.get("language"))) });
  };
  const onReadOnly = () => {
    view.dispatch({ effects: readOnly.reconfigure(readOnlyExtension(!!model.get("read_only"))) });
  };
  model.on("change:value", onValue);
  model.on("change:language", onLanguage);
  model.on("change:read_only", onReadOnly);

  return () => {
    flush();
    resized?.disconnect();
    model.off("change:value", onValue);
    model.off("change:language", onLanguage);
    model.off("change:read_only", onReadOnly);
    view.destroy();
  };
}

export default { render };
