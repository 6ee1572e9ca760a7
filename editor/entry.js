// The projection editor: CodeMirror 6 with JavaScript highlighting and line
// numbers, and a mark for the line a fault points at. Bundled by esbuild into
// static/editor.js at build time (Trunk's pre-build hook), loaded only by the
// views that edit code.
import { EditorView, basicSetup } from 'codemirror';
import { javascript } from '@codemirror/lang-javascript';
import { StateEffect, StateField } from '@codemirror/state';
import { Decoration } from '@codemirror/view';
import { oneDark } from '@codemirror/theme-one-dark';

const setFaultLine = StateEffect.define();
const faultLine = StateField.define({
  create: () => Decoration.none,
  update(marks, transaction) {
    let next = marks.map(transaction.changes);
    for (const effect of transaction.effects) {
      if (!effect.is(setFaultLine)) continue;
      const line = effect.value;
      next = line && line <= transaction.state.doc.lines
        ? Decoration.set([Decoration.line({ class: 'cm-fault-line', attributes: { 'data-fault-line': String(line) } })
          .range(transaction.state.doc.line(line).from)])
        : Decoration.none;
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

window.SandboxEditor = {
  /** Makes an editor in `parent`; `onChange(text)` hears every edit. */
  create(parent, text, onChange) {
    const view = new EditorView({
      doc: text,
      parent,
      extensions: [
        basicSetup,
        javascript(),
        // Follow the page: one dark theme when the system asks for dark.
        ...(window.matchMedia('(prefers-color-scheme: dark)').matches ? [oneDark] : []),
        faultLine,
        // A screen reader names the editing area; CodeMirror gives it no name.
        EditorView.contentAttributes.of({ 'aria-label': 'Projection source (JavaScript)' }),
        EditorView.updateListener.of((update) => { if (update.docChanged) onChange(update.state.doc.toString()); }),
      ],
    });
    return {
      text: () => view.state.doc.toString(),
      setText: (next) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: next } }),
      markFaultLine: (line) => view.dispatch({ effects: setFaultLine.of(line ?? null) }),
      destroy: () => view.destroy(),
    };
  },
};
