// Copies the JavaScript the widgets carry into the Python package (surveylab_widgets/static/vendor):
// Aladin Lite's bundle for the FootprintViewer, and require.js, the Jupyter widgets HTML manager
// (with the built-in controls) and its woff2 icon fonts for offline published notebooks.
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const target = new URL("../surveylab_widgets/static/vendor/", import.meta.url).pathname;
const files = {
  "aladin.js": fileURLToPath(import.meta.resolve("aladin-lite")),
  "require.js": require.resolve("requirejs/require.js"),
  "embed-amd.js": require.resolve("@jupyter-widgets/html-manager/dist/embed-amd.js"),
};
// the icon fonts (FontAwesome) the manager's CSS names; a page inlines the woff2 ones
const managerDist = dirname(files["embed-amd.js"]);
for (const name of readdirSync(managerDist).filter((n) => n.endsWith(".woff2"))) {
  files[name] = join(managerDist, name);
}
mkdirSync(target, { recursive: true });
for (const [name, source] of Object.entries(files)) {
  copyFileSync(source, join(target, name));
  console.log(`${name} <- ${source}`);
}
