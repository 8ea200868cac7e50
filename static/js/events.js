// Pure: a small event emitter, so a part of the page can say what happened to it without
// knowing who listens (the page listens; the part never calls back into the page).
export class Emitter {
  constructor() {
    this.listeners = new Map(); // event name -> [listener]
  }

  on(name, listener) {
    if (!this.listeners.has(name)) this.listeners.set(name, []);
    this.listeners.get(name).push(listener);
    return this;
  }

  // Call every listener of `name`, in the order they were added, with `args`.
  emit(name, ...args) {
    for (const listener of this.listeners.get(name) || []) listener(...args);
  }
}
