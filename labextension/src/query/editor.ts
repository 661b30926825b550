/**
 * The SQL editor: CodeMirror 6 with JupyterLab's editor theme (so it follows
 * the light and dark themes), SQL highlighting (Oracle's dialect, as DES
 * writes it), completion of keywords, tables and columns, and a mark on the
 * line and column of a syntax error.
 */
import {
  autocompletion,
  closeBrackets,
  closeCompletion,
  closeBracketsKeymap,
  completionKeymap
} from '@codemirror/autocomplete';
import type {
  CompletionContext,
  CompletionResult
} from '@codemirror/autocomplete';
import {
  defaultKeymap,
  history,
  historyKeymap,
  indentWithTab
} from '@codemirror/commands';
import { PLSQL, keywordCompletionSource, sql } from '@codemirror/lang-sql';
import { bracketMatching, indentOnInput } from '@codemirror/language';
import {
  EditorSelection,
  EditorState,
  Prec,
  StateEffect,
  StateField
} from '@codemirror/state';
import type { Extension } from '@codemirror/state';
import {
  Decoration,
  EditorView,
  drawSelection,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
  placeholder
} from '@codemirror/view';
import type { DecorationSet } from '@codemirror/view';
import { jupyterTheme } from '@jupyterlab/codemirror';
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import type { ISchemaTable } from './completion';
import { completeSQL } from './completion';

/** A syntax error's place: 1-based line and column, and the message. */
export interface IErrorMark {
  line: number;
  column: number;
  message: string;
}

const setErrorMark = StateEffect.define<IErrorMark | null>();

/**
 * The error decorations: the whole line, and the word at the column. They
 * follow edits, and go when the marked line is edited or a new mark is set.
 */
const errorMarkField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, transaction) {
    let next = marks.map(transaction.changes);
    if (transaction.docChanged && next.size > 0) {
      const doc = transaction.state.doc;
      transaction.changes.iterChangedRanges((_fromA, _toA, fromB, toB) => {
        next = next.update({
          filter: from =>
            doc.lineAt(from).number < doc.lineAt(fromB).number ||
            doc.lineAt(from).number > doc.lineAt(toB).number
        });
      });
    }
    for (const effect of transaction.effects) {
      if (effect.is(setErrorMark)) {
        next =
          effect.value === null
            ? Decoration.none
            : markDecorations(transaction.state, effect.value);
      }
    }
    return next;
  },
  provide: field => EditorView.decorations.from(field)
});

/** The document position of a 1-based line and column, clamped into the text. */
export function positionOf(
  state: EditorState,
  line: number,
  column: number
): number {
  const doc = state.doc;
  const target = doc.line(Math.min(Math.max(line, 1), doc.lines));
  return target.from + Math.min(Math.max(column - 1, 0), target.length);
}

function markDecorations(state: EditorState, mark: IErrorMark): DecorationSet {
  const pos = positionOf(state, mark.line, mark.column);
  const line = state.doc.lineAt(pos);
  const rest = state.doc.sliceString(pos, line.to);
  const word = /^[\w$#]+/.exec(rest)?.[0].length ?? Math.min(1, rest.length);
  const ranges = [
    Decoration.line({
      class: 'sl-QueryEditor-errorLine',
      attributes: { 'data-testid': 'query-error-line', title: mark.message }
    }).range(line.from)
  ];
  if (word > 0) {
    ranges.push(
      Decoration.mark({
        class: 'sl-QueryEditor-errorMark',
        attributes: { 'data-testid': 'query-error-mark', title: mark.message }
      }).range(pos, pos + word)
    );
  }
  return Decoration.set(ranges, true);
}

/**
 * The SQL editor widget.
 */
export class SqlEditor extends Widget {
  constructor(options: SqlEditor.IOptions) {
    super();
    this.addClass('sl-QueryEditor');
    this.node.dataset.testid = 'query-editor';
    this._getTables = options.getTables;
    const run = (view: EditorView): boolean => {
      closeCompletion(view);
      options.onRun();
      return true;
    };
    const extensions: Extension[] = [
      Prec.highest(
        keymap.of([
          { key: 'Shift-Enter', run },
          { key: 'Mod-Enter', run }
        ])
      ),
      lineNumbers(),
      highlightActiveLineGutter(),
      highlightActiveLine(),
      history(),
      drawSelection(),
      indentOnInput(),
      bracketMatching(),
      closeBrackets(),
      sql({ dialect: PLSQL, upperCaseKeywords: true }),
      autocompletion({
        override: [
          context => this._completeSchema(context),
          keywordCompletionSource(PLSQL, true)
        ],
        // Its icons are emoji, missing from many fonts: the detail names the kind.
        icons: false
      }),
      keymap.of([
        ...closeBracketsKeymap,
        ...defaultKeymap,
        ...historyKeymap,
        ...completionKeymap,
        indentWithTab
      ]),
      placeholder('SELECT … FROM …   (Shift+Enter runs a quick query)'),
      errorMarkField,
      jupyterTheme,
      EditorView.contentAttributes.of({ 'aria-label': 'SQL query' }),
      EditorView.updateListener.of(update => {
        if (update.docChanged) {
          options.onChange?.();
        }
      })
    ];
    this._view = new EditorView({
      state: EditorState.create({ doc: options.value ?? '', extensions }),
      parent: this.node
    });
  }

  /** The CodeMirror view (for tests and advanced use). */
  get view(): EditorView {
    return this._view;
  }

  /** The SQL in the editor. */
  get value(): string {
    return this._view.state.doc.toString();
  }

  /**
   * Replace the whole text (undoable with Ctrl+Z), with the cursor at the end.
   */
  setValue(text: string): void {
    const view = this._view;
    view.dispatch({
      changes: { from: 0, to: view.state.doc.length, insert: text },
      selection: EditorSelection.cursor(text.length),
      effects: setErrorMark.of(null),
      scrollIntoView: true
    });
  }

  /** Insert text at the cursor (over the selection) and focus the editor. */
  insertAtCursor(text: string): void {
    const view = this._view;
    view.dispatch(view.state.replaceSelection(text), { scrollIntoView: true });
    view.focus();
  }

  /** Mark a syntax error's line and column and move the cursor there. */
  markError(mark: IErrorMark): void {
    const view = this._view;
    const pos = positionOf(view.state, mark.line, mark.column);
    view.dispatch({
      effects: setErrorMark.of(mark),
      selection: EditorSelection.cursor(pos),
      scrollIntoView: true
    });
    view.focus();
  }

  /** Remove the error mark. */
  clearError(): void {
    this._view.dispatch({ effects: setErrorMark.of(null) });
  }

  /** Give the editor the keyboard. */
  focus(): void {
    this._view.focus();
  }

  dispose(): void {
    if (!this.isDisposed) {
      this._view.destroy();
    }
    super.dispose();
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    this._view.focus();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this._view.requestMeasure();
  }

  private _completeSchema(context: CompletionContext): CompletionResult | null {
    const answer = completeSQL(
      context.state.doc.toString(),
      context.pos,
      this._getTables(),
      context.explicit
    );
    if (answer === null) {
      return null;
    }
    return { ...answer, validFor: /^[\w$#]*$/ };
  }

  private readonly _getTables: () => readonly ISchemaTable[];
  private readonly _view: EditorView;
}

export namespace SqlEditor {
  /** The options of the {@link SqlEditor} constructor. */
  export interface IOptions {
    /** The starting text. */
    value?: string;
    /** The schema for completion, read at each completion. */
    getTables: () => readonly ISchemaTable[];
    /** Run the query (Shift+Enter, Ctrl/Cmd+Enter). */
    onRun: () => void;
    /** Called after every edit. */
    onChange?: () => void;
  }
}
