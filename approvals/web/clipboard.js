// Copying a text (a command, a link) for the user: the clipboard when the browser lets the page
// write to it, otherwise the text is selected for a manual Ctrl+C.
import { flash } from './state.js';

export async function copyFrom(node) {
  const text = node.textContent;
  try {
    await navigator.clipboard.writeText(text);
    flash('copied: ' + text, 'ok');
  } catch (e) {
    // No clipboard permission (e.g. an embedded browser): select the text for a manual copy.
    const range = document.createRange();
    range.selectNodeContents(node);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    flash('press Ctrl+C to copy: ' + text);
  }
}
