// Loaded by harness.html in the e2e browser: exposes the package's browser
// entry on `window.m3` so tests drive it with page.evaluate.
import * as m3 from '../../src/browser/index.js';

declare global {
  interface Window {
    m3: typeof m3;
    m3ready: boolean;
  }
}

window.m3 = m3;
window.m3ready = true;
