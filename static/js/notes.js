// A note editor: a textarea and Save, saved with PUT {url} {"note": text} (blank text clears
// the note). Notes are people's free text: they only ever reach the page as a textarea's value
// or an element's textContent, never as HTML. A live update never overwrites what is being
// typed: the editor takes a note from the server only while its text is unchanged.
import { ApiError, putJSON } from "./api.js";

export class NoteEditor {
  // `el` holds a textarea, a button.note-save and an element.note-status; `onSaved(answer)`
  // hears of each save with the server's answer (the experiment, search or trial).
  constructor(el, onSaved = () => {}) {
    this.el = el;
    this.text = el.querySelector("textarea");
    this.status = el.querySelector(".note-status");
    this.button = el.querySelector(".note-save");
    this.onSaved = onSaved;
    this.url = null;
    this.saved = this.text.value; // the note as last read or saved ("" for none)
    this.saving = false;
    this.button.addEventListener("click", () => this.save());
    this.text.addEventListener("input", () => this.setStatus(this.dirty() ? "Not saved yet." : ""));
  }

  // Edit the note behind `url` (its PUT address), which the server says is `note` now.
  show(url, note) {
    const other = this.url !== null && url !== this.url;
    const typing = !other && this.dirty();
    this.url = url;
    this.saved = note || "";
    if (!typing) this.text.value = this.saved;
    if (other) this.setStatus("");
  }

  dirty() {
    return this.text.value !== this.saved;
  }

  async save() {
    if (this.saving || this.url === null) return;
    this.saving = true;
    this.button.disabled = true;
    try {
      const answer = await putJSON(this.url, { note: this.text.value });
      this.saved = answer.note || "";
      this.text.value = this.saved;
      this.setStatus(answer.note ? "Saved." : "Note cleared.");
      this.onSaved(answer);
    } catch (error) {
      this.setStatus(error instanceof ApiError ? error.message : String(error), true);
    } finally {
      this.saving = false;
      this.button.disabled = false;
    }
  }

  setStatus(text, isError = false) {
    this.status.textContent = text;
    this.status.classList.toggle("error", isError);
  }
}
