// The element's shadow-DOM styles. Theme with CSS custom properties on
// m3-search (or any ancestor): --m3s-font, --m3s-fg, --m3s-bg, --m3s-muted,
// --m3s-accent, --m3s-border, --m3s-radius, --m3s-mark-bg, --m3s-mark-fg,
// --m3s-active-bg, --m3s-width, --m3s-results-height, --m3s-z,
// --m3s-notice-bg, --m3s-notice-fg (the test-model notice). Logical
// properties only (inline-start/end), so dir="rtl" on the page or the
// element mirrors the layout.
export const STYLES = `
:host { display: block; position: relative; font: var(--m3s-font, 15px/1.4 system-ui, sans-serif); color: var(--m3s-fg, #1d1d1f); width: var(--m3s-width, 100%); max-width: 100%; box-sizing: border-box; }
.box { display: flex; align-items: center; gap: .5em; border: 1px solid var(--m3s-border, #c8c8cc); border-radius: var(--m3s-radius, 8px); background: var(--m3s-bg, #fff); padding: .35em .6em; }
.box:focus-within { border-color: var(--m3s-accent, #2f6fde); box-shadow: 0 0 0 3px color-mix(in srgb, var(--m3s-accent, #2f6fde) 25%, transparent); }
input { flex: 1; min-width: 0; border: 0; outline: 0; background: transparent; font: inherit; color: inherit; }
kbd { font: 12px/1 ui-monospace, monospace; color: var(--m3s-muted, #6e6e73); border: 1px solid var(--m3s-border, #c8c8cc); border-radius: 4px; padding: 2px 5px; }
.mode { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--m3s-muted, #6e6e73); white-space: nowrap; }
.mode[data-mode="hybrid"] { color: var(--m3s-accent, #2f6fde); }
.panel { position: absolute; inset-inline: 0; top: calc(100% + 4px); z-index: var(--m3s-z, 1000); background: var(--m3s-bg, #fff); border: 1px solid var(--m3s-border, #c8c8cc); border-radius: var(--m3s-radius, 8px); box-shadow: 0 8px 24px rgb(0 0 0 / .12); max-height: var(--m3s-results-height, 70vh); overflow: auto; }
.panel[hidden] { display: none; }
ul { list-style: none; margin: 0; padding: 4px; }
ul.sections { padding: 0; }
.page + .page { border-block-start: 1px solid var(--m3s-border, #e4e4e7); margin-block-start: 2px; padding-block-start: 2px; }
li a { display: block; text-align: start; padding: .5em .6em; border-radius: calc(var(--m3s-radius, 8px) - 3px); color: inherit; text-decoration: none; }
li[aria-selected="true"] a, li a:hover { background: var(--m3s-active-bg, #eef3fd); }
.title { font-weight: 600; }
.heading { color: var(--m3s-accent, #2f6fde); }
.sep { color: var(--m3s-muted, #6e6e73); }
.snippet { display: block; font-size: .9em; color: var(--m3s-muted, #4a4a4f); margin-top: .15em; }
mark { background: var(--m3s-mark-bg, #ffe58a); color: var(--m3s-mark-fg, inherit); border-radius: 2px; }
.status { font-size: 12px; color: var(--m3s-muted, #6e6e73); padding: .4em .8em; border-top: 1px solid var(--m3s-border, #e4e4e7); }
.hit.sub a { margin-inline-start: 1.2em; padding-inline-start: .8em; border-inline-start: 2px solid var(--m3s-border, #e4e4e7); border-start-start-radius: 0; border-end-start-radius: 0; }
.count { font-size: 12px; color: var(--m3s-muted, #6e6e73); padding: .5em .8em 0; }
.notice { font-size: 12px; padding: .4em .8em; background: var(--m3s-notice-bg, #fff4d6); color: var(--m3s-notice-fg, #5c4400); border-block-end: 1px solid var(--m3s-border, #e4e4e7); }
.notice[hidden], .status[hidden] { display: none; }
.vh { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip-path: inset(50%); white-space: nowrap; border: 0; }
`;

let sheet: CSSStyleSheet | null | undefined;

/**
 * Styles a shadow root. A constructable stylesheet (`adoptedStyleSheets`) is
 * not an inline style, so a strict Content-Security-Policy (no
 * `style-src 'unsafe-inline'`) does not block it; browsers without it get a
 * `<style>` element (which such a policy would block). One sheet is shared by
 * every box on the page.
 */
export function applyStyles(root: ShadowRoot): void {
  if (sheet === undefined) {
    try {
      sheet = 'adoptedStyleSheets' in root ? new CSSStyleSheet() : null;
      sheet?.replaceSync(STYLES);
    } catch {
      sheet = null;
    }
  }
  if (sheet) {
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    return;
  }
  const style = document.createElement('style');
  style.textContent = STYLES;
  root.prepend(style);
}
