// Copies the JavaScript an offline published notebook inlines into dist/:
// require.js, the Jupyter widgets HTML manager (with the built-in controls) and its woff2 fonts.
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const files = {
  "require.js": require.resolve("requirejs/require.js"),
  "embed-amd.js": require.resolve("@jupyter-widgets/html-manager/dist/embed-amd.js"),
};
// the icon fonts (FontAwesome) the manager's CSS names; a page inlines the woff2 ones
const managerDist = dirname(files["embed-amd.js"]);
for (const name of readdirSync(managerDist).filter((n) => n.endsWith(".woff2"))) {
  files[name] = join(managerDist, name);
}
mkdirSync("dist", { recursive: true });
for (const [name, source] of Object.entries(files)) {
  copyFileSync(source, `dist/${name}`);
  console.log(`dist/${name} <- ${source}`);
}
